package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/**
 * SQL for invitations and the invited organisations. A {@link SqlTemplate} is bound to the client
 * it runs on and cannot be bound to another, so the reads that run on the pool are templates built
 * once here, and the statements that run in a caller's transaction are bound to it per call, from
 * the same constants and row mappers.
 */
final class InvitationStore {

  private static final String INSERT_INVITED_ORGANISATION =
      """
      INSERT INTO organisations (id, kind, name, email, fax, status, created_at)
      VALUES (#{id}, #{kind}, #{name}, #{email}, #{fax}, 'invited', #{now})""";

  private static final String INSERT =
      """
      INSERT INTO invitations (id, organisation_id, room_id, invited_by_user, invited_by_org,
        email, fax, language, created_at)
      VALUES (#{id}, #{org}, #{room}, #{user}, #{byOrg}, #{email}, #{fax}, #{language}, #{now})""";

  private static final String ADD_PENDING =
      "UPDATE rooms SET pending_invitations = pending_invitations + #{n} WHERE id = #{room}";

  private static final String CLEAR_PENDING =
      "UPDATE rooms SET pending_invitations = 0 WHERE id = #{room}";

  /** An invitation with the invited organisation and the inviting organisation and user. */
  private static final String INVITATION_SELECT =
      """
      SELECT i.*, o.name AS organisation_name, o.kind AS organisation_kind,
        inviter.name AS inviter_name, iu.email AS inviter_email, iu.status AS inviter_status
      FROM invitations i JOIN organisations o ON o.id = i.organisation_id
      JOIN organisations inviter ON inviter.id = i.invited_by_org
      JOIN users iu ON iu.id = i.invited_by_user
      """;

  private static final String UNSENT =
      INVITATION_SELECT + "WHERE i.room_id = #{room} AND i.sent_at IS NULL AND i.used_at IS NULL";

  private static final String LOCK_BY_ID = INVITATION_SELECT + "WHERE i.id = #{id} FOR UPDATE OF i";

  private static final String LOCK_BY_CODE =
      INVITATION_SELECT
          + """
          WHERE i.code_hash = #{hash} AND (i.used_at IS NOT NULL OR i.expires_at > #{now})
          FOR UPDATE OF i""";

  private static final String RECEIVED =
      INVITATION_SELECT
          + """
          WHERE i.organisation_id = #{org} AND i.used_at IS NOT NULL
          ORDER BY i.used_at DESC, i.id""";

  private static final String MARK_SENT =
      """
      UPDATE invitations SET code_hash = #{hash}, sent_at = #{now}, expires_at = #{expires}
      WHERE id = #{id}""";

  private static final String WITHDRAW_QUEUED =
      """
      UPDATE outbox SET status = 'failed', last_error = 'replaced by a newer invitation',
        payload = payload - 'code' - 'text'
      WHERE invitation_id = #{id} AND status = 'queued' AND provider_id IS NULL""";

  private static final String CODE_STATE =
      """
      SELECT used_at IS NOT NULL AS redeemed FROM invitations
      WHERE code_hash = #{hash} AND (used_at IS NOT NULL OR expires_at > #{now})""";

  private static final String MARK_USED =
      "UPDATE invitations SET used_at = #{now}, redeemed_by_user = #{user} WHERE id = #{id}";

  private static final String DECIDE =
      """
      UPDATE invitations SET decision = #{decision}, decided_at = #{now}, decided_by = #{user}
      WHERE id = #{id}""";

  private static final String ACTIVATE =
      "UPDATE organisations SET status = 'active' WHERE id = #{id} AND status = 'invited'";

  /** Invitations as the room's members see them, with the delivery state of each channel. */
  private static final String ROOM_INVITATIONS =
      """
      SELECT i.id, i.room_id, i.invited_by_org, i.organisation_id, o.name AS organisation_name,
        o.kind AS organisation_kind, o.status AS organisation_status,
        i.email, i.fax, i.sent_at, i.expires_at, i.used_at, i.decision, i.decided_at,
        ru.display_name AS admin_name, ru.email AS admin_email,
        (SELECT json_agg(json_build_object('channel', x.channel, 'status', x.status,
            'attempts', x.attempts, 'lastError', x.last_error,
            'sentAt', to_char(x.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
          ORDER BY x.id) FROM outbox x WHERE x.invitation_id = i.id) AS deliveries
      FROM invitations i JOIN organisations o ON o.id = i.organisation_id
      LEFT JOIN users ru ON ru.id = i.redeemed_by_user
      """;

  private static final String OF_ROOM =
      ROOM_INVITATIONS + "WHERE i.room_id = #{room} ORDER BY i.created_at, i.id";

  private static final String SHOWN_BY_ID = ROOM_INVITATIONS + "WHERE i.id = #{id}";

  /** What a typed code is: still usable, used to register already, or wrong or expired. */
  enum CodeState {
    USABLE,
    REDEEMED,
    INVALID
  }

  private final SqlTemplate<Map<String, Object>, RowSet<CodeState>> codeState;
  private final SqlTemplate<Map<String, Object>, RowSet<Invitation>> received;
  private final SqlTemplate<Map<String, Object>, RowSet<RoomInvitation>> ofRoom;
  private final SqlTemplate<Map<String, Object>, RowSet<RoomInvitation>> shownById;

  InvitationStore(Pool pool) {
    this.codeState =
        SqlTemplate.forQuery(pool, CODE_STATE)
            .mapTo(row -> row.getBoolean("redeemed") ? CodeState.REDEEMED : CodeState.USABLE);
    this.received = SqlTemplate.forQuery(pool, RECEIVED).mapTo(Invitation.MAPPER);
    this.ofRoom = SqlTemplate.forQuery(pool, OF_ROOM).mapTo(RoomInvitation.MAPPER);
    this.shownById = SqlTemplate.forQuery(pool, SHOWN_BY_ID).mapTo(RoomInvitation.MAPPER);
  }

  Future<Void> insertInvitedOrganisation(
      SqlClient tx, UUID id, InviteeRequest invitee, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("kind", invitee.kind());
    p.put("name", invitee.name());
    p.put("email", invitee.email());
    p.put("fax", invitee.fax() == null ? null : invitee.fax().e164());
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, INSERT_INVITED_ORGANISATION).execute(p).mapEmpty();
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
    return SqlTemplate.forUpdate(tx, INSERT).execute(p).mapEmpty();
  }

  Future<Void> addPending(SqlClient tx, UUID room, int count) {
    return SqlTemplate.forUpdate(tx, ADD_PENDING)
        .execute(Map.of("room", room, "n", count))
        .mapEmpty();
  }

  Future<Void> clearPending(SqlClient tx, UUID room) {
    return SqlTemplate.forUpdate(tx, CLEAR_PENDING).execute(Map.of("room", room)).mapEmpty();
  }

  /** Invitations of the room that have not gone out yet. */
  Future<List<Invitation>> unsent(SqlClient tx, UUID room) {
    return SqlTemplate.forQuery(tx, UNSENT)
        .mapTo(Invitation.MAPPER)
        .execute(Map.of("room", room))
        .map(Rows::list);
  }

  /** The invitation, locked for the rest of the transaction, or null. */
  Future<Invitation> byId(SqlClient tx, UUID id) {
    return SqlTemplate.forQuery(tx, LOCK_BY_ID)
        .mapTo(Invitation.MAPPER)
        .execute(Map.of("id", id))
        .map(Rows::firstOrNull);
  }

  /**
   * The invitation with this code, locked, if it is unexpired or was redeemed already (the caller
   * refuses the second use); null for a wrong or expired code.
   */
  Future<Invitation> byCode(SqlClient tx, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forQuery(tx, LOCK_BY_CODE)
        .mapTo(Invitation.MAPPER)
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(Rows::firstOrNull);
  }

  Future<Void> markSent(
      SqlClient tx, UUID id, byte[] hash, OffsetDateTime now, OffsetDateTime expiresAt) {
    return SqlTemplate.forUpdate(tx, MARK_SENT)
        .execute(Map.of("id", id, "hash", Buffer.buffer(hash), "now", now, "expires", expiresAt))
        .mapEmpty();
  }

  /** Earlier letters of an invitation that have not gone out yet carry an old code: withdrawn. */
  Future<Void> withdrawQueued(SqlClient tx, UUID invitation) {
    return SqlTemplate.forUpdate(tx, WITHDRAW_QUEUED).execute(Map.of("id", invitation)).mapEmpty();
  }

  /** What the code is (no lock: a cheap first check before the password is hashed). */
  Future<CodeState> codeState(byte[] hash, OffsetDateTime now) {
    return codeState
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.size() == 0 ? CodeState.INVALID : rows.iterator().next());
  }

  /**
   * Binds the invitation to the account that redeemed its code. The code's hash stays, so that a
   * second use is recognised as such; it opens nothing.
   */
  Future<Void> markUsed(SqlClient tx, UUID id, UUID redeemedBy, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, MARK_USED)
        .execute(Map.of("id", id, "user", redeemedBy, "now", now))
        .mapEmpty();
  }

  /** Records the inviting organisation's answer to a registration. */
  Future<Void> decide(SqlClient tx, UUID id, String decision, UUID decidedBy, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, DECIDE)
        .execute(Map.of("id", id, "decision", decision, "user", decidedBy, "now", now))
        .mapEmpty();
  }

  /** The invitations an organisation registered with, and the inviting organisations' answers. */
  Future<List<Invitation>> received(UUID organisation) {
    return received.execute(Map.of("org", organisation)).map(Rows::list);
  }

  /** The room's invitations with the delivery state of each channel, for members of the room. */
  Future<List<RoomInvitation>> ofRoom(UUID room) {
    return ofRoom.execute(Map.of("room", room)).map(Rows::list);
  }

  /** One invitation as {@link #ofRoom} shows it, or null. */
  Future<RoomInvitation> shownById(UUID id) {
    return shownById.execute(Map.of("id", id)).map(Rows::firstOrNull);
  }

  Future<Void> activate(SqlClient tx, UUID organisation) {
    return SqlTemplate.forUpdate(tx, ACTIVATE).execute(Map.of("id", organisation)).mapEmpty();
  }
}
