package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for invitations and the invited organisations. */
final class InvitationStore {

  Future<Void> insertInvitedOrganisation(
      SqlClient tx, UUID id, InviteeRequest invitee, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("kind", invitee.kind());
    p.put("name", invitee.name());
    p.put("email", invitee.email());
    p.put("fax", invitee.fax() == null ? null : invitee.fax().e164());
    p.put("now", now);
    return SqlTemplate.forUpdate(
            tx,
            "INSERT INTO organisations (id, kind, name, email, fax, status, created_at)"
                + " VALUES (#{id}, #{kind}, #{name}, #{email}, #{fax}, 'invited', #{now})")
        .execute(p)
        .mapEmpty();
  }

  Future<Void> insert(
      SqlClient tx,
      UUID id,
      UUID organisation,
      UUID room,
      UUID byUser,
      UUID byOrg,
      InviteeRequest invitee,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("org", organisation);
    p.put("room", room);
    p.put("user", byUser);
    p.put("byOrg", byOrg);
    p.put("email", invitee.email());
    p.put("fax", invitee.fax() == null ? null : invitee.fax().e164());
    p.put("language", invitee.language());
    p.put("now", now);
    return SqlTemplate.forUpdate(
            tx,
            "INSERT INTO invitations (id, organisation_id, room_id, invited_by_user, invited_by_org,"
                + " email, fax, language, created_at) VALUES (#{id}, #{org}, #{room}, #{user},"
                + " #{byOrg}, #{email}, #{fax}, #{language}, #{now})")
        .execute(p)
        .mapEmpty();
  }

  Future<Void> addPending(SqlClient tx, UUID room, int count) {
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE rooms SET pending_invitations = pending_invitations + #{n} WHERE id = #{room}")
        .execute(Map.of("room", room, "n", count))
        .mapEmpty();
  }

  Future<Void> clearPending(SqlClient tx, UUID room) {
    return SqlTemplate.forUpdate(tx, "UPDATE rooms SET pending_invitations = 0 WHERE id = #{room}")
        .execute(Map.of("room", room))
        .mapEmpty();
  }

  /** Invitations of the room that have not gone out yet, with the inviting organisation's name. */
  Future<List<Row>> unsent(SqlClient tx, UUID room) {
    return SqlTemplate.forQuery(
            tx,
            INVITATION_SELECT
                + " WHERE i.room_id = #{room} AND i.sent_at IS NULL AND i.used_at IS NULL")
        .execute(Map.of("room", room))
        .map(Rows::list);
  }

  Future<Row> byId(SqlClient tx, UUID id) {
    return SqlTemplate.forQuery(tx, INVITATION_SELECT + " WHERE i.id = #{id} FOR UPDATE OF i")
        .execute(Map.of("id", id))
        .map(Rows::firstOrNull);
  }

  /** The unused invitation with this code, locked; null for a wrong, used or expired code. */
  Future<Row> byCode(SqlClient tx, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            tx,
            INVITATION_SELECT
                + " WHERE i.code_hash = #{hash} AND i.used_at IS NULL AND i.expires_at > #{now}"
                + " FOR UPDATE OF i")
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(Rows::firstOrNull);
  }

  Future<Void> markSent(
      SqlClient tx, UUID id, byte[] hash, OffsetDateTime now, OffsetDateTime expiresAt) {
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE invitations SET code_hash = #{hash}, sent_at = #{now}, expires_at = #{expires}"
                + " WHERE id = #{id}")
        .execute(Map.of("id", id, "hash", Buffer.buffer(hash), "now", now, "expires", expiresAt))
        .mapEmpty();
  }

  /** Earlier letters of an invitation that have not gone out yet carry an old code: withdrawn. */
  Future<Void> withdrawQueued(SqlClient tx, UUID invitation) {
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE outbox SET status = 'failed', last_error = 'replaced by a newer invitation',"
                + " payload = payload - 'code' - 'text'"
                + " WHERE invitation_id = #{id} AND status = 'queued' AND provider_id IS NULL")
        .execute(Map.of("id", invitation))
        .mapEmpty();
  }

  /** Whether an unused, unexpired invitation has this code (no lock: a cheap first check). */
  Future<Boolean> codeUsable(SqlClient client, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            client,
            "SELECT 1 FROM invitations WHERE code_hash = #{hash} AND used_at IS NULL"
                + " AND expires_at > #{now}")
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.size() > 0);
  }

  Future<Void> markUsed(SqlClient tx, UUID id, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            tx, "UPDATE invitations SET used_at = #{now}, code_hash = NULL WHERE id = #{id}")
        .execute(Map.of("id", id, "now", now))
        .mapEmpty();
  }

  /** The room's invitations with the delivery state of each channel, for members of the room. */
  Future<List<Row>> ofRoom(SqlClient client, UUID room) {
    return SqlTemplate.forQuery(
            client,
            "SELECT i.id, i.organisation_id, o.name AS organisation_name, o.status AS organisation_status,"
                + " i.email, i.fax, i.sent_at, i.expires_at, i.used_at,"
                + " (SELECT json_agg(json_build_object('channel', x.channel, 'status', x.status,"
                + "  'attempts', x.attempts, 'lastError', x.last_error, 'sentAt', to_char(x.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
                + "  ORDER BY x.id) FROM outbox x WHERE x.invitation_id = i.id) AS deliveries"
                + " FROM invitations i JOIN organisations o ON o.id = i.organisation_id"
                + " WHERE i.room_id = #{room} ORDER BY i.created_at, i.id")
        .execute(Map.of("room", room))
        .map(Rows::list);
  }

  Future<Void> activate(SqlClient tx, UUID organisation) {
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE organisations SET status = 'active' WHERE id = #{id} AND status = 'invited'")
        .execute(Map.of("id", organisation))
        .mapEmpty();
  }

  private static final String INVITATION_SELECT =
      "SELECT i.*, o.name AS organisation_name, inviter.name AS inviter_name"
          + " FROM invitations i JOIN organisations o ON o.id = i.organisation_id"
          + " JOIN organisations inviter ON inviter.id = i.invited_by_org";
}
