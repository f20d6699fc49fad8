package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for rooms, their member organisations and users' read markers. */
final class RoomStore {

  /** The title partners see once the patient revoked: it names nobody. */
  static final String WITHHELD_TITLE = "Patient – Einwilligung widerrufen";

  /** The title everyone sees once the patient was erased. */
  static final String ERASED_TITLE = "Patient – gelöscht";

  /**
   * After a revocation the patient's identity is withheld from every organisation but the patient's
   * own: a neutral title, and the patient without name or birth date. Decided here, in the one
   * query every room answer comes from (list, view, joined frames). The condition and the title are
   * spliced in once, when the class loads; nothing a user sends goes into the text.
   */
  private static final String WITHHELD =
      "(pt.erased_at IS NOT NULL"
          + " OR (pt.consent_revoked_at IS NOT NULL AND pt.organisation_id <> #{org}))";

  /** The room list shows this many characters of the newest message. */
  private static final int PREVIEW = 120;

  private static final String ROOM_SELECT =
      """
      SELECT r.id, r.kind, r.encrypted, r.created_at, r.last_seq, r.last_message_at,
             r.created_by_org,
             CASE WHEN pt.erased_at IS NOT NULL THEN '%3$s' WHEN %1$s THEN '%2$s'
               ELSE r.title END AS title,
             coalesce(%1$s, false) AS identity_withheld,
             coalesce(rm.seq, 0) AS read_seq,
             (SELECT count(*) FROM messages m WHERE m.room_id = r.id
                 AND m.seq > coalesce(rm.seq, 0) AND m.sender_user_id IS DISTINCT FROM #{user})
               AS unread,
             (SELECT json_agg(json_build_object('id', o.id, 'name', o.name, 'kind', o.kind)
                 ORDER BY o.name) FROM room_members x JOIN organisations o
                 ON o.id = x.organisation_id WHERE x.room_id = r.id) AS organisations,
             CASE WHEN pt.id IS NULL THEN NULL WHEN %1$s
               THEN json_build_object('id', pt.id, 'organisationId', pt.organisation_id)
               ELSE json_build_object('id', pt.id,
                 'familyName', pt.family_name, 'givenName', pt.given_name,
                 'birthDate', pt.birth_date, 'organisationId', pt.organisation_id) END AS patient,
             pt.consent_revoked_at,
             (SELECT json_build_object('id', c.id, 'version', c.version, 'status', c.status,
                 'uploadedAt', to_char(c.uploaded_at AT TIME ZONE 'UTC',
                                       'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                 'uploadedBy', u.display_name,
                 'revocationDocument', c.revocation_file_id IS NOT NULL)
                 FROM consents c JOIN users u ON u.id = c.uploaded_by
                WHERE c.patient_id = r.patient_id ORDER BY c.version DESC LIMIT 1) AS consent,
             (SELECT json_build_object('seq', m.seq, 'kind', m.kind,
                 'senderName', u.display_name,
                 'excerpt', CASE WHEN pt.consent_revoked_at IS NOT NULL AND m.kind <> 'system'
                   THEN NULL ELSE left(m.content, %4$d) END,
                 'masked', pt.consent_revoked_at IS NOT NULL AND m.kind <> 'system')
                 FROM messages m LEFT JOIN users u ON u.id = m.sender_user_id
                WHERE m.room_id = r.id ORDER BY m.seq DESC LIMIT 1) AS last_message
        FROM rooms r JOIN room_members me ON me.room_id = r.id AND me.organisation_id = #{org}
        LEFT JOIN patients pt ON pt.id = r.patient_id
        LEFT JOIN read_markers rm ON rm.room_id = r.id AND rm.user_id = #{user}
      """
          .formatted(WITHHELD, WITHHELD_TITLE, ERASED_TITLE, PREVIEW);

  private static final String LIST =
      ROOM_SELECT + " ORDER BY coalesce(r.last_message_at, r.created_at) DESC, r.id";

  private static final String VIEW = ROOM_SELECT + " WHERE r.id = #{room}";

  private static final String INSERT_ROOM =
      """
      INSERT INTO rooms (id, kind, encrypted, title, created_by_org, created_by_user, patient_id,
                         created_at)
      VALUES (#{id}, #{kind}, #{encrypted}, #{title}, #{org}, #{user}, #{patient}, #{now})""";

  private static final String INSERT_MEMBER =
      """
      INSERT INTO room_members (room_id, organisation_id, joined_at)
      VALUES (#{room}, #{org}, #{now})""";

  private static final String LAST_SEQ_IF_MEMBER =
      """
      SELECT r.last_seq FROM rooms r JOIN room_members m ON m.room_id = r.id
       WHERE r.id = #{room} AND m.organisation_id = #{org}""";

  private static final String ROOM_IF_MEMBER =
      """
      SELECT r.patient_id, r.last_seq FROM rooms r JOIN room_members m ON m.room_id = r.id
       WHERE r.id = #{room} AND m.organisation_id = #{org} AND r.removing_since IS NULL""";

  /** Locked, a room that retention started removing meanwhile is read again and left out. */
  private static final String LOCK_ROOM_IF_MEMBER = ROOM_IF_MEMBER + " FOR UPDATE OF r";

  private static final String OWNERSHIP_IF_MEMBER =
      """
      SELECT coalesce(pt.organisation_id, r.created_by_org) AS owner_org, r.created_by_user
        FROM rooms r JOIN room_members m ON m.room_id = r.id AND m.organisation_id = #{org}
        LEFT JOIN patients pt ON pt.id = r.patient_id
       WHERE r.id = #{room}""";

  private static final String OWNER =
      """
      SELECT coalesce(pt.organisation_id, r.created_by_org) AS owner_org FROM rooms r
        LEFT JOIN patients pt ON pt.id = r.patient_id WHERE r.id = #{room}""";

  private static final String IS_MEMBER =
      "SELECT 1 FROM room_members WHERE room_id = #{room} AND organisation_id = #{org}";

  private static final String ADVANCE_READ_MARKER =
      """
      INSERT INTO read_markers (user_id, room_id, seq, updated_at)
      SELECT #{user}, r.id, LEAST(#{seq}, r.last_seq), #{now} FROM rooms r WHERE r.id = #{room}
      ON CONFLICT (user_id, room_id) DO UPDATE
         SET seq = GREATEST(read_markers.seq, EXCLUDED.seq), updated_at = EXCLUDED.updated_at
      RETURNING seq""";

  private static final String POSITIONS =
      """
      SELECT r.id, r.last_seq, pt.consent_revoked_at IS NOT NULL AS revoked, r.encrypted
        FROM rooms r JOIN room_members m ON m.room_id = r.id
        LEFT JOIN patients pt ON pt.id = r.patient_id
       WHERE m.organisation_id = #{org}""";

  Future<Void> insertRoom(
      SqlClient client,
      UUID id,
      String kind,
      boolean encrypted,
      String title,
      UUID org,
      UUID user,
      UUID patient,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("kind", kind);
    p.put("encrypted", encrypted);
    p.put("title", title);
    p.put("org", org);
    p.put("user", user);
    p.put("patient", patient);
    p.put("now", now);
    return SqlTemplate.forUpdate(client, INSERT_ROOM).execute(p).mapEmpty();
  }

  Future<Void> insertMembers(
      SqlClient client, UUID roomId, List<UUID> organisations, OffsetDateTime now) {
    List<Map<String, Object>> batch = new ArrayList<>();
    for (UUID org : organisations) {
      batch.add(Map.of("room", roomId, "org", org, "now", now));
    }
    return SqlTemplate.forUpdate(client, INSERT_MEMBER).executeBatch(batch).mapEmpty();
  }

  Future<List<Room>> listFor(SqlClient client, UUID org, UUID user) {
    return SqlTemplate.forQuery(client, LIST)
        .mapTo(Room.MAPPER)
        .execute(Map.of("org", org, "user", user))
        .map(Rows::list);
  }

  /** The room if the organisation is a member of it, else null (also for unknown ids). */
  Future<Room> viewFor(SqlClient client, UUID roomId, UUID org, UUID user) {
    return SqlTemplate.forQuery(client, VIEW)
        .mapTo(Room.MAPPER)
        .execute(Map.of("org", org, "user", user, "room", roomId))
        .map(Rows::firstOrNull);
  }

  /** The room's last sequence number if the organisation is a member, else null. */
  Future<Long> lastSeqIfMember(SqlClient client, UUID roomId, UUID org) {
    return SqlTemplate.forQuery(client, LAST_SEQ_IF_MEMBER)
        .execute(Map.of("room", roomId, "org", org))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getLong("last_seq"));
  }

  /**
   * Every room of an organisation with its last sequence number and whether its patient revoked
   * consent: the patient's {@code consent_revoked_at}, the one record of a revocation.
   */
  Future<List<RoomPosition>> positionsOf(SqlClient client, UUID org) {
    return SqlTemplate.forQuery(client, POSITIONS)
        .mapTo(RoomPosition.MAPPER)
        .execute(Map.of("org", org))
        .map(Rows::list);
  }

  /**
   * The room's patient (null for a general room) if the organisation is a member, locking the room.
   */
  Future<Row> lockIfMember(SqlClient tx, UUID roomId, UUID org, boolean lock) {
    return SqlTemplate.forQuery(tx, lock ? LOCK_ROOM_IF_MEMBER : ROOM_IF_MEMBER)
        .execute(Map.of("room", roomId, "org", org))
        .map(Rows::firstOrNull);
  }

  /**
   * The organisation that owns the room (the patient's, or the creator's for a general room) and
   * the user who created it, if the organisation is a member; else null.
   */
  Future<Row> ownershipIfMember(SqlClient client, UUID roomId, UUID org) {
    return SqlTemplate.forQuery(client, OWNERSHIP_IF_MEMBER)
        .execute(Map.of("room", roomId, "org", org))
        .map(Rows::firstOrNull);
  }

  /**
   * The organisation that owns the room (the patient's, or the creator's for a general room), or
   * null when there is no such room; for refusals, whoever asks.
   */
  Future<UUID> ownerOf(SqlClient client, UUID roomId) {
    return SqlTemplate.forQuery(client, OWNER)
        .execute(Map.of("room", roomId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID("owner_org"));
  }

  Future<Boolean> isMember(SqlClient tx, UUID roomId, UUID org) {
    return SqlTemplate.forQuery(tx, IS_MEMBER)
        .execute(Map.of("room", roomId, "org", org))
        .map(rows -> rows.size() > 0);
  }

  /** Moves the marker forward (never back, never past the last message); returns it. */
  Future<Long> advanceReadMarker(
      SqlClient client, UUID user, UUID roomId, long seq, OffsetDateTime now) {
    return SqlTemplate.forQuery(client, ADVANCE_READ_MARKER)
        .execute(Map.of("user", user, "room", roomId, "seq", seq, "now", now))
        .map(rows -> rows.iterator().next().getLong("seq"));
  }
}
