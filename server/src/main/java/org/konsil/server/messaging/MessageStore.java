package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for storing messages under the room's lock and reading them back by sequence number. */
final class MessageStore {

  private static final String MESSAGE_SELECT =
      "SELECT m.room_id, m.seq, m.id, m.kind, m.content, m.sent_at, m.client_msg_id,"
          + " m.sender_user_id, u.display_name AS sender_name, m.sender_org_id,"
          + " o.name AS sender_org_name,"
          + " (pt.consent_revoked_at IS NOT NULL AND m.kind <> 'system') AS masked"
          + " FROM messages m LEFT JOIN users u ON u.id = m.sender_user_id"
          + " LEFT JOIN organisations o ON o.id = m.sender_org_id"
          + " JOIN rooms r ON r.id = m.room_id LEFT JOIN patients pt ON pt.id = r.patient_id";

  /**
   * Locks the room row for the rest of the transaction, which serialises the room's writers and so
   * keeps its sequence gap-free; null when the organisation is not a member.
   */
  Future<LockedRoom> lockRoomForMember(SqlClient tx, UUID room, UUID org) {
    return SqlTemplate.forQuery(
            tx,
            "SELECT r.last_seq, r.patient_id, r.pending_invitations FROM rooms r"
                + " JOIN room_members m ON m.room_id = r.id"
                + " AND m.organisation_id = #{org} WHERE r.id = #{room} FOR UPDATE OF r")
        .execute(Map.of("room", room, "org", org))
        .map(
            rows ->
                rows.size() == 0
                    ? null
                    : new LockedRoom(
                        rows.iterator().next().getLong("last_seq"),
                        rows.iterator().next().getUUID("patient_id"),
                        rows.iterator().next().getInteger("pending_invitations")));
  }

  /** A room whose row this transaction holds. */
  record LockedRoom(long lastSeq, java.util.UUID patientId, int pendingInvitations) {}

  /**
   * Whether the patient revoked their consent. Read in its own statement after the room lock, so
   * that a revocation committed while the lock was awaited is seen.
   */
  Future<Boolean> consentRevoked(SqlClient tx, UUID patientId) {
    return SqlTemplate.forQuery(
            tx, "SELECT consent_revoked_at IS NOT NULL AS revoked FROM patients WHERE id = #{id}")
        .execute(Map.of("id", patientId))
        .map(rows -> rows.iterator().next().getBoolean("revoked"));
  }

  /** The message a sender stored earlier under this client id, or null. */
  Future<Message> byClientMsgId(SqlClient tx, UUID sender, UUID clientMsgId) {
    return SqlTemplate.forQuery(
            tx,
            MESSAGE_SELECT + " WHERE m.sender_user_id = #{sender} AND m.client_msg_id = #{cmid}")
        .mapTo(Message.MAPPER)
        .execute(Map.of("sender", sender, "cmid", clientMsgId))
        .map(Rows::firstOrNull);
  }

  /**
   * What the one-statement send found: whether the sender's organisation is a member, whether the
   * room is closed or has invitations waiting for its first message, the stored sequence number (0
   * when nothing was stored), and a message the sender stored earlier under the same id.
   */
  record TextOutcome(
      boolean member, boolean closed, int pendingInvitations, long seq, Message earlier) {}

  /**
   * The whole send of a text message as one statement, committed on its own: lock the room row
   * (membership checked in the same join), look for an earlier message with this client id, and,
   * when the room is open, has no invitations waiting and the id is new, insert the message with
   * the next sequence number and move the room's sequence. One round trip, one commit.
   */
  Future<TextOutcome> storeText(SqlClient client, Message m) {
    Map<String, Object> p = new HashMap<>();
    p.put("room", m.room());
    p.put("org", m.senderOrganisationId());
    p.put("sender", m.senderId());
    p.put("cmid", m.clientMsgId());
    p.put("id", m.id());
    p.put("content", m.content());
    p.put("sentAt", m.sentAt());
    return SqlTemplate.forQuery(
            client,
            "WITH room AS (SELECT r.id, r.last_seq, r.closed_at, r.pending_invitations"
                + " FROM rooms r JOIN room_members rm ON rm.room_id = r.id"
                + " AND rm.organisation_id = #{org} WHERE r.id = #{room} FOR UPDATE OF r),"
                + " earlier AS (SELECT m.room_id, m.seq, m.id, m.kind, m.content, m.sent_at"
                + " FROM messages m WHERE m.sender_user_id = #{sender}"
                + " AND m.client_msg_id = #{cmid}),"
                + " stored AS (INSERT INTO messages (room_id, seq, id, sender_user_id,"
                + " sender_org_id, client_msg_id, kind, content, sent_at)"
                + " SELECT room.id, room.last_seq + 1, #{id}, #{sender}, #{org}, #{cmid}, 'text',"
                + " #{content}, #{sentAt} FROM room WHERE room.closed_at IS NULL"
                + " AND room.pending_invitations = 0 AND NOT EXISTS (SELECT 1 FROM earlier)"
                + " RETURNING seq),"
                + " moved AS (UPDATE rooms SET last_seq = stored.seq, last_message_at = #{sentAt}"
                + " FROM stored WHERE rooms.id = #{room})"
                + " SELECT (SELECT count(*) FROM room) AS member,"
                + " coalesce((SELECT closed_at IS NOT NULL FROM room), false) AS closed,"
                + " coalesce((SELECT pending_invitations FROM room), 0) AS pending,"
                + " coalesce((SELECT seq FROM stored), 0) AS seq,"
                + " e.room_id AS earlier_room, e.seq AS earlier_seq, e.id AS earlier_id,"
                + " e.kind AS earlier_kind, e.content AS earlier_content,"
                + " e.sent_at AS earlier_sent_at"
                + " FROM (SELECT 1) AS one LEFT JOIN earlier e ON true")
        .execute(p)
        .map(rows -> outcome(rows.iterator().next(), m));
  }

  /** Reads one message's outcome from a row of the one-statement or the batched send. */
  static TextOutcome outcome(io.vertx.sqlclient.Row row, Message m) {
    UUID earlierRoom = row.getUUID("earlier_room");
    Message earlier =
        earlierRoom == null
            ? null
            : new Message(
                earlierRoom,
                row.getLong("earlier_seq"),
                row.getUUID("earlier_id"),
                row.getString("earlier_kind"),
                row.getString("earlier_content"),
                row.getOffsetDateTime("earlier_sent_at"),
                m.clientMsgId(),
                m.senderId(),
                m.senderName(),
                m.senderOrganisationId(),
                m.senderOrganisationName(),
                false);
    return new TextOutcome(
        row.getLong("member") > 0,
        row.getBoolean("closed"),
        row.getInteger("pending"),
        row.getLong("seq"),
        earlier);
  }

  /** Stores the message and moves the room's sequence in one statement. */
  Future<Void> insert(SqlClient tx, Message m) {
    Map<String, Object> p = new HashMap<>();
    p.put("room", m.room());
    p.put("seq", m.seq());
    p.put("id", m.id());
    p.put("sender", m.senderId());
    p.put("org", m.senderOrganisationId());
    p.put("cmid", m.clientMsgId());
    p.put("kind", m.kind());
    p.put("content", m.content());
    p.put("sentAt", m.sentAt());
    return SqlTemplate.forUpdate(
            tx,
            "WITH stored AS (INSERT INTO messages (room_id, seq, id, sender_user_id, sender_org_id,"
                + " client_msg_id, kind, content, sent_at) VALUES (#{room}, #{seq}, #{id},"
                + " #{sender}, #{org}, #{cmid}, #{kind}, #{content}, #{sentAt}))"
                + " UPDATE rooms SET last_seq = #{seq}, last_message_at = #{sentAt}"
                + " WHERE id = #{room}")
        .execute(p)
        .mapEmpty();
  }

  Future<Long> lastSeq(SqlClient client, UUID room) {
    return SqlTemplate.forQuery(client, "SELECT last_seq FROM rooms WHERE id = #{room}")
        .execute(Map.of("room", room))
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong("last_seq"));
  }

  Future<Void> insertAttachment(
      SqlClient tx, UUID id, UUID room, UUID file, UUID by, java.time.OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            tx,
            "INSERT INTO attachments (id, room_id, file_id, uploaded_by, uploaded_at)"
                + " VALUES (#{id}, #{room}, #{file}, #{by}, #{now})")
        .execute(Map.of("id", id, "room", room, "file", file, "by", by, "now", now))
        .mapEmpty();
  }

  /**
   * An attachment the organisation may see (it is in the attachment's room), with its file and
   * whether the room's patient revoked consent; null otherwise.
   */
  Future<io.vertx.sqlclient.Row> attachmentFor(SqlClient client, UUID id, UUID org) {
    return SqlTemplate.forQuery(
            client,
            "SELECT a.id, a.room_id, r.patient_id, pt.organisation_id AS patient_organisation_id,"
                + " f.id AS file_id, f.media_type, f.file_name,"
                + " (pt.consent_revoked_at IS NOT NULL) AS revoked"
                + " FROM attachments a JOIN rooms r ON r.id = a.room_id"
                + " JOIN room_members m ON m.room_id = r.id AND m.organisation_id = #{org}"
                + " JOIN stored_files f ON f.id = a.file_id"
                + " LEFT JOIN patients pt ON pt.id = r.patient_id WHERE a.id = #{id}")
        .execute(Map.of("id", id, "org", org))
        .map(Rows::firstOrNull);
  }

  /**
   * The organisation that owns the room an attachment was sent in (the patient's, or the creator's
   * for a general room), or null when there is no such attachment; for refusals.
   */
  Future<UUID> attachmentOwner(SqlClient client, UUID id) {
    return SqlTemplate.forQuery(
            client,
            "SELECT coalesce(pt.organisation_id, r.created_by_org) AS owner_org"
                + " FROM attachments a JOIN rooms r ON r.id = a.room_id"
                + " LEFT JOIN patients pt ON pt.id = r.patient_id WHERE a.id = #{id}")
        .execute(Map.of("id", id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID("owner_org"));
  }

  /** The room's patient and the patient's organisation, or null for a general room. */
  Future<io.vertx.sqlclient.Row> patientOf(SqlClient client, UUID room) {
    return SqlTemplate.forQuery(
            client,
            "SELECT p.id, p.organisation_id FROM rooms r JOIN patients p ON p.id = r.patient_id"
                + " WHERE r.id = #{room}")
        .execute(Map.of("room", room))
        .map(Rows::firstOrNull);
  }

  /** Messages with after < seq <= upTo, oldest first, at most limit. */
  Future<List<Message>> range(SqlClient client, UUID room, long after, long upTo, int limit) {
    return SqlTemplate.forQuery(
            client,
            MESSAGE_SELECT
                + " WHERE m.room_id = #{room} AND m.seq > #{after} AND m.seq <= #{upTo}"
                + " ORDER BY m.seq LIMIT #{limit}")
        .mapTo(Message.MAPPER)
        .execute(Map.of("room", room, "after", after, "upTo", upTo, "limit", limit))
        .map(Rows::list);
  }

  /** The newest messages with seq < before, newest first, at most limit. */
  Future<List<Message>> before(SqlClient client, UUID room, long before, int limit) {
    return SqlTemplate.forQuery(
            client,
            MESSAGE_SELECT
                + " WHERE m.room_id = #{room} AND m.seq < #{before}"
                + " ORDER BY m.seq DESC LIMIT #{limit}")
        .mapTo(Message.MAPPER)
        .execute(Map.of("room", room, "before", before, "limit", limit))
        .map(Rows::list);
  }
}
