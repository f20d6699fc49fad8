package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** Retention settings, legal holds, and the rows the retention job removes. */
final class RetentionStore {

  private static final String SETTINGS =
      "SELECT * FROM retention_settings WHERE organisation_id = #{org}";

  private static final String SAVE =
      """
      INSERT INTO retention_settings (organisation_id, patient_room_years, general_room_years,
        updated_by, updated_at)
      VALUES (#{org}, #{patient}, #{general}, #{by}, #{now})
      ON CONFLICT (organisation_id) DO UPDATE SET patient_room_years = #{patient},
        general_room_years = #{general}, updated_by = #{by}, updated_at = #{now}""";

  private static final String HOLD =
      """
      INSERT INTO legal_holds (patient_id, set_by, set_at) VALUES (#{patient}, #{by}, #{now})
      ON CONFLICT (patient_id) DO NOTHING""";

  private static final String RELEASE = "DELETE FROM legal_holds WHERE patient_id = #{patient}";

  private static final String HELD = "SELECT 1 FROM legal_holds WHERE patient_id = #{patient}";

  /**
   * Rooms whose newest message is older than their owner's retention, none about a patient under a
   * legal hold; and rooms whose removal began (a run that stopped half-way): those are finished
   * whatever changed since, as their members and newest messages are gone already.
   */
  private static final String DUE =
      """
      FROM rooms r
      LEFT JOIN patients p ON p.id = r.patient_id
      LEFT JOIN retention_settings s
        ON s.organisation_id = coalesce(p.organisation_id, r.created_by_org)
      WHERE (r.removing_since IS NOT NULL
        OR coalesce(r.last_message_at, r.created_at) < #{now}::timestamptz - make_interval(years =>
             CASE WHEN r.patient_id IS NULL THEN coalesce(s.general_room_years, %d)
                  ELSE coalesce(s.patient_room_years, %d) END)
           AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.patient_id = r.patient_id))
      """
          .formatted(Retention.DEFAULTS.generalRoomYears(), Retention.DEFAULTS.patientRoomYears());

  /** The due rooms with their owners, a few at a time, oldest first. */
  private static final String DUE_ROOMS =
      "SELECT r.id, coalesce(p.organisation_id, r.created_by_org) AS owner "
          + DUE
          + "ORDER BY coalesce(r.last_message_at, r.created_at), r.id LIMIT 20";

  /** The room, locked as a send locks it, if it is still due. */
  private static final String STILL_DUE =
      "SELECT r.id " + DUE + "AND r.id = #{room} FOR UPDATE OF r";

  private static final String MEMBERS = "DELETE FROM room_members WHERE room_id = #{room}";

  private static final String LOCK = "SELECT 1 FROM rooms WHERE id = #{room} FOR UPDATE";

  private static final String LATE_MESSAGES = "DELETE FROM messages WHERE room_id = #{room}";

  /** Marks the locked room: a send or a new member waiting for its lock reads the mark. */
  private static final String MARK =
      "UPDATE rooms SET removing_since = coalesce(removing_since, #{now}) WHERE id = #{room}";

  /** The newest messages of a room first, so a reply or correction goes before what it names. */
  private static final String MESSAGE_BATCH =
      """
      DELETE FROM messages WHERE room_id = #{room} AND seq IN (
        SELECT seq FROM messages WHERE room_id = #{room} ORDER BY seq DESC LIMIT #{limit})""";

  private static final String ATTACHMENTS =
      "DELETE FROM attachments WHERE room_id = #{room} RETURNING file_id";

  private static final String FILES = "DELETE FROM stored_files WHERE id = ANY(#{files})";

  private static final List<String> ROOM_SHELL =
      List.of(
          "DELETE FROM read_markers WHERE room_id = #{room}",
          "DELETE FROM room_notifications WHERE room_id = #{room}",
          "DELETE FROM outbox WHERE invitation_id IN"
              + " (SELECT id FROM invitations WHERE room_id = #{room})",
          "DELETE FROM invitations WHERE room_id = #{room}",
          MEMBERS,
          "DELETE FROM rooms WHERE id = #{room}");

  private static final String OUTBOX_BATCH =
      """
      DELETE FROM outbox WHERE id IN (SELECT id FROM outbox
        WHERE status IN ('sent', 'failed') AND created_at < #{before} AND invitation_id IS NULL
        ORDER BY id LIMIT #{limit})""";

  private final SqlTemplate<Map<String, Object>, RowSet<Row>> settings;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> held;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> dueRooms;

  RetentionStore(Pool pool) {
    this.settings = SqlTemplate.forQuery(pool, SETTINGS);
    this.held = SqlTemplate.forQuery(pool, HELD);
    this.dueRooms = SqlTemplate.forQuery(pool, DUE_ROOMS);
  }

  Future<Retention> settings(UUID organisation) {
    return settings
        .execute(Map.of("org", organisation))
        .map(Rows::firstOrNull)
        .map(
            row ->
                row == null
                    ? Retention.DEFAULTS
                    : new Retention(
                        row.getInteger("patient_room_years"),
                        row.getInteger("general_room_years")));
  }

  Future<Void> save(
      SqlClient tx, UUID organisation, Retention retention, UUID by, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("org", organisation);
    p.put("patient", retention.patientRoomYears());
    p.put("general", retention.generalRoomYears());
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, SAVE).execute(p).mapEmpty();
  }

  Future<Void> hold(SqlClient tx, UUID patient, UUID by, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, HOLD)
        .execute(Map.of("patient", patient, "by", by, "now", now))
        .mapEmpty();
  }

  Future<Void> release(SqlClient tx, UUID patient) {
    return SqlTemplate.forUpdate(tx, RELEASE).execute(Map.of("patient", patient)).mapEmpty();
  }

  Future<Boolean> held(UUID patient) {
    return held.execute(Map.of("patient", patient)).map(rows -> rows.size() > 0);
  }

  /** Due rooms with the organisation whose documentation they are. */
  Future<List<Row>> dueRooms(OffsetDateTime now) {
    return dueRooms.execute(Map.of("now", now)).map(Rows::list);
  }

  /**
   * Takes the room for removal if it is still due, under the room's lock: a message committed since
   * the room was listed makes it not due any more. The room is marked and its members go, in the
   * same transaction: a send, or a new member, that began before and waits for the room's lock
   * reads the marked row once it has the lock and is refused, so nothing is acknowledged that is
   * then deleted with the room.
   */
  Future<Boolean> claim(SqlClient tx, UUID room, OffsetDateTime now) {
    Map<String, Object> p = Map.of("room", room, "now", now);
    return SqlTemplate.forQuery(tx, STILL_DUE)
        .execute(p)
        .compose(
            due ->
                due.size() == 0
                    ? Future.succeededFuture(false)
                    : SqlTemplate.forUpdate(tx, MARK)
                        .execute(p)
                        .compose(marked -> SqlTemplate.forUpdate(tx, MEMBERS).execute(p))
                        .map(true));
  }

  Future<Integer> deleteMessages(SqlClient tx, UUID room, int limit) {
    return SqlTemplate.forUpdate(tx, MESSAGE_BATCH)
        .execute(Map.of("room", room, "limit", limit))
        .map(done -> done.rowCount());
  }

  /** What removing a room's rest took: its files, and messages stored since its batches. */
  record Removed(List<UUID> files, int lateMessages) {}

  /**
   * Removes what is left of a room once its batches of messages are gone, under the room's lock:
   * first the system notices stored in it since (a revocation's, say), then the rest; answers its
   * files' ids.
   */
  Future<Removed> deleteRoom(SqlClient tx, UUID room) {
    Map<String, Object> p = Map.of("room", room);
    return SqlTemplate.forQuery(tx, LOCK)
        .execute(p)
        .compose(locked -> SqlTemplate.forUpdate(tx, LATE_MESSAGES).execute(p))
        .compose(
            late ->
                SqlTemplate.forQuery(tx, ATTACHMENTS)
                    .execute(p)
                    .compose(
                        rows -> {
                          List<UUID> files =
                              Rows.list(rows).stream().map(r -> r.getUUID("file_id")).toList();
                          Future<Void> chain =
                              SqlTemplate.forUpdate(tx, FILES)
                                  .execute(Map.of("files", files.toArray(new UUID[0])))
                                  .mapEmpty();
                          for (String sql : ROOM_SHELL) {
                            chain =
                                chain.compose(
                                    done -> SqlTemplate.forUpdate(tx, sql).execute(p).mapEmpty());
                          }
                          return chain.map(new Removed(files, late.rowCount()));
                        }));
  }

  Future<Integer> deleteOutbox(SqlClient tx, OffsetDateTime before, int limit) {
    return SqlTemplate.forUpdate(tx, OUTBOX_BATCH)
        .execute(Map.of("before", before, "limit", limit))
        .map(done -> done.rowCount());
  }
}
