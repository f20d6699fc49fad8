package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.templates.RowMapper;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * SQL for users' credentials, sessions, refresh tokens, tickets and recovery codes. A {@link
 * SqlTemplate} is bound to the client it runs on and cannot be bound to another, so the statements
 * that run on the pool are templates built once here, and the ones that run in a caller's
 * transaction are bound to it per call, from the same constants and row mappers.
 */
final class AccountStore {

  /** What a login needs to know about a user. */
  record Credentials(
      UUID id,
      UUID organisationId,
      String status,
      String organisationStatus,
      String passwordHash,
      int failedLogins,
      OffsetDateTime lockedUntil,
      boolean totpEnabled,
      String totpSecret,
      long totpLastStep) {}

  /** A refresh token row with the state of its session. */
  record RefreshTokenRow(
      UUID sessionId,
      UUID userId,
      UUID organisationId,
      OffsetDateTime usedAt,
      OffsetDateTime sessionExpiresAt,
      OffsetDateTime sessionRevokedAt) {}

  /** The user and session a WebSocket ticket was issued for. */
  record TicketOwner(UUID userId, UUID sessionId) {}

  private static final RowMapper<Credentials> CREDENTIALS =
      row ->
          new Credentials(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getString("status"),
              row.getString("organisation_status"),
              row.getString("password_hash"),
              row.getInteger("failed_logins"),
              row.getOffsetDateTime("locked_until"),
              row.getBoolean("totp_enabled"),
              row.getString("totp_secret"),
              row.getLong("totp_last_step"));

  private static final RowMapper<RefreshTokenRow> REFRESH_TOKEN =
      row ->
          new RefreshTokenRow(
              row.getUUID("session_id"),
              row.getUUID("user_id"),
              row.getUUID("organisation_id"),
              row.getOffsetDateTime("used_at"),
              row.getOffsetDateTime("session_expires_at"),
              row.getOffsetDateTime("session_revoked_at"));

  private static final RowMapper<AuthenticatedUser> AUTHENTICATED =
      row ->
          new AuthenticatedUser(
              row.getUUID("id"),
              row.getUUID("session_id"),
              row.getUUID("organisation_id"),
              row.getString("organisation_name"),
              row.getString("email"),
              row.getString("display_name"),
              row.getString("role"),
              row.getBoolean("totp_enabled"),
              row.getBoolean("require_second_factor"),
              row.getOffsetDateTime("session_expires_at"),
              row.getBoolean("notify_by_email"));

  private static final RowMapper<TicketOwner> TICKET_OWNER =
      row -> new TicketOwner(row.getUUID("user_id"), row.getUUID("session_id"));

  private static final String CREDENTIALS_SELECT =
      """
      SELECT u.id, u.organisation_id, u.status, o.status AS organisation_status, u.password_hash,
        u.failed_logins, u.locked_until, u.totp_enabled, u.totp_secret, u.totp_last_step
      FROM users u JOIN organisations o ON o.id = u.organisation_id
      """;

  private static final String CREDENTIALS_BY_EMAIL =
      CREDENTIALS_SELECT + "WHERE lower(u.email) = lower(#{email})";

  private static final String LOCK_CREDENTIALS =
      CREDENTIALS_SELECT + "WHERE u.id = #{id} FOR UPDATE OF u";

  private static final String RECORD_FAILURE =
      """
      UPDATE users SET
        locked_until = CASE WHEN failed_logins + 1 >= #{max} THEN #{lockUntil}
          ELSE locked_until END,
        failed_logins = CASE WHEN failed_logins + 1 >= #{max} THEN 0
          ELSE failed_logins + 1 END
      WHERE id = #{id}
      RETURNING CASE WHEN failed_logins = 0 AND locked_until = #{lockUntil}
        THEN #{max} ELSE failed_logins END AS failures""";

  private static final String CLEAR_FAILURES =
      "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = #{id}";

  private static final String CREATE_SESSION =
      """
      INSERT INTO sessions (id, user_id, created_at, expires_at)
      VALUES (#{id}, #{userId}, #{now}, #{expiresAt})""";

  private static final String INSERT_REFRESH_TOKEN =
      """
      INSERT INTO refresh_tokens (token_hash, session_id, issued_at)
      VALUES (#{hash}, #{sessionId}, #{now})""";

  private static final String LOCK_REFRESH_TOKEN =
      """
      SELECT t.session_id, s.user_id, u.organisation_id, t.used_at,
        s.expires_at AS session_expires_at, s.revoked_at AS session_revoked_at
      FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
      JOIN users u ON u.id = s.user_id
      WHERE t.token_hash = #{hash} FOR UPDATE OF t""";

  private static final String MARK_REFRESH_TOKEN_USED =
      "UPDATE refresh_tokens SET used_at = #{now} WHERE token_hash = #{hash}";

  private static final String REVOKE_SESSION =
      "UPDATE sessions SET revoked_at = #{now} WHERE id = #{id} AND revoked_at IS NULL";

  private static final String REVOKE_ALL_SESSIONS =
      """
      UPDATE sessions SET revoked_at = #{now} WHERE user_id = #{userId} AND revoked_at IS NULL
      RETURNING id""";

  private static final String RETIRE_PASSWORD_TOKENS =
      """
      UPDATE password_tokens SET used_at = #{now}
      WHERE user_id = #{userId} AND used_at IS NULL""";

  private static final String ACTIVE_USER =
      """
      SELECT u.id, s.id AS session_id, u.organisation_id, o.name AS organisation_name,
        u.email, u.display_name, u.role, u.totp_enabled, o.require_second_factor,
        s.expires_at AS session_expires_at, u.notify_by_email
      FROM users u JOIN organisations o ON o.id = u.organisation_id
      JOIN sessions s ON s.user_id = u.id
      WHERE u.id = #{userId} AND s.id = #{sessionId} AND u.status = 'active'
        AND o.status = 'active' AND s.revoked_at IS NULL AND s.expires_at > #{now}""";

  private static final String INSERT_PASSWORD_TOKEN =
      """
      INSERT INTO password_tokens (token_hash, user_id, expires_at)
      VALUES (#{hash}, #{userId}, #{expiresAt})""";

  private static final String PASSWORD_TOKEN_USABLE =
      """
      SELECT 1 FROM password_tokens
      WHERE token_hash = #{hash} AND used_at IS NULL AND expires_at > #{now}""";

  private static final String CONSUME_PASSWORD_TOKEN =
      """
      UPDATE password_tokens SET used_at = #{now}
      WHERE token_hash = #{hash} AND used_at IS NULL AND expires_at > #{now}
      RETURNING user_id""";

  private static final String SET_PASSWORD =
      """
      UPDATE users SET password_hash = #{hash}, failed_logins = 0, locked_until = NULL,
        status = CASE WHEN status = 'pending' THEN 'active' ELSE status END
      WHERE id = #{id}""";

  private static final String INSERT_WS_TICKET =
      """
      INSERT INTO ws_tickets (ticket_hash, user_id, session_id, expires_at)
      VALUES (#{hash}, #{userId}, #{sessionId}, #{expiresAt})""";

  private static final String CONSUME_WS_TICKET =
      """
      WITH swept AS (DELETE FROM ws_tickets WHERE expires_at <= #{now})
      DELETE FROM ws_tickets WHERE ticket_hash = #{hash} AND expires_at > #{now}
      RETURNING user_id, session_id""";

  private static final String SET_NOTIFY_BY_EMAIL =
      "UPDATE users SET notify_by_email = #{on} WHERE id = #{id}";

  private static final String START_TOTP_ENROLMENT =
      "UPDATE users SET totp_secret = #{secret} WHERE id = #{id} AND NOT totp_enabled";

  private static final String ENABLE_TOTP =
      "UPDATE users SET totp_enabled = true, totp_last_step = #{step} WHERE id = #{id}";

  private static final String USE_TOTP_STEP =
      "UPDATE users SET totp_last_step = #{step} WHERE id = #{id}";

  private static final String DELETE_RECOVERY_CODES =
      "DELETE FROM recovery_codes WHERE user_id = #{id}";

  private static final String INSERT_RECOVERY_CODE =
      "INSERT INTO recovery_codes (user_id, code_hash) VALUES (#{id}, #{hash})";

  private static final String CONSUME_RECOVERY_CODE =
      """
      UPDATE recovery_codes SET used_at = #{now}
      WHERE user_id = #{id} AND code_hash = #{hash} AND used_at IS NULL""";

  private final SqlTemplate<Map<String, Object>, RowSet<Credentials>> credentialsByEmail;
  private final SqlTemplate<Map<String, Object>, RowSet<AuthenticatedUser>> activeUser;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> revokeSession;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> insertWsTicket;
  private final SqlTemplate<Map<String, Object>, RowSet<TicketOwner>> consumeWsTicket;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> passwordTokenUsable;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> setNotifyByEmail;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> startTotpEnrolment;

  AccountStore(Pool pool) {
    this.credentialsByEmail = SqlTemplate.forQuery(pool, CREDENTIALS_BY_EMAIL).mapTo(CREDENTIALS);
    this.activeUser = SqlTemplate.forQuery(pool, ACTIVE_USER).mapTo(AUTHENTICATED);
    this.revokeSession = SqlTemplate.forUpdate(pool, REVOKE_SESSION);
    this.insertWsTicket = SqlTemplate.forUpdate(pool, INSERT_WS_TICKET);
    this.consumeWsTicket = SqlTemplate.forQuery(pool, CONSUME_WS_TICKET).mapTo(TICKET_OWNER);
    this.passwordTokenUsable = SqlTemplate.forQuery(pool, PASSWORD_TOKEN_USABLE);
    this.setNotifyByEmail = SqlTemplate.forUpdate(pool, SET_NOTIFY_BY_EMAIL);
    this.startTotpEnrolment = SqlTemplate.forUpdate(pool, START_TOTP_ENROLMENT);
  }

  Future<Credentials> credentialsByEmail(String email) {
    return credentialsByEmail.execute(Map.of("email", email)).map(Rows::firstOrNull);
  }

  /** The user's credentials, or null, locked for the rest of the transaction. */
  Future<Credentials> lockCredentials(SqlClient tx, UUID userId) {
    return SqlTemplate.forQuery(tx, LOCK_CREDENTIALS)
        .mapTo(CREDENTIALS)
        .execute(Map.of("id", userId))
        .map(Rows::firstOrNull);
  }

  /**
   * Counts a failure; at the limit the account is locked and the counter starts again. Answers the
   * failures counted, the one that locked included.
   */
  Future<Integer> recordFailure(
      SqlClient tx, UUID userId, int maxFailures, OffsetDateTime lockUntil) {
    return SqlTemplate.forQuery(tx, RECORD_FAILURE)
        .mapTo(row -> row.getInteger("failures"))
        .execute(Map.of("id", userId, "max", maxFailures, "lockUntil", lockUntil))
        .map(rows -> rows.iterator().next());
  }

  Future<Void> clearFailures(SqlClient tx, UUID userId) {
    return SqlTemplate.forUpdate(tx, CLEAR_FAILURES).execute(Map.of("id", userId)).mapEmpty();
  }

  Future<Void> createSession(
      SqlClient tx, UUID sessionId, UUID userId, OffsetDateTime now, OffsetDateTime expiresAt) {
    return SqlTemplate.forUpdate(tx, CREATE_SESSION)
        .execute(Map.of("id", sessionId, "userId", userId, "now", now, "expiresAt", expiresAt))
        .mapEmpty();
  }

  Future<Void> insertRefreshToken(SqlClient tx, byte[] hash, UUID sessionId, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, INSERT_REFRESH_TOKEN)
        .execute(Map.of("hash", Buffer.buffer(hash), "sessionId", sessionId, "now", now))
        .mapEmpty();
  }

  /** The refresh token with its session, or null, locked for the rest of the transaction. */
  Future<RefreshTokenRow> lockRefreshToken(SqlClient tx, byte[] hash) {
    return SqlTemplate.forQuery(tx, LOCK_REFRESH_TOKEN)
        .mapTo(REFRESH_TOKEN)
        .execute(Map.of("hash", Buffer.buffer(hash)))
        .map(Rows::firstOrNull);
  }

  Future<Void> markRefreshTokenUsed(SqlClient tx, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, MARK_REFRESH_TOKEN_USED)
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .mapEmpty();
  }

  Future<Void> revokeSession(UUID sessionId, OffsetDateTime now) {
    return revokeSession.execute(Map.of("id", sessionId, "now", now)).mapEmpty();
  }

  /** The same in the caller's transaction. */
  Future<Void> revokeSession(SqlClient tx, UUID sessionId, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, REVOKE_SESSION)
        .execute(Map.of("id", sessionId, "now", now))
        .mapEmpty();
  }

  /** Ends the user's live sessions; answers their ids. */
  Future<List<UUID>> revokeAllSessions(SqlClient tx, UUID userId, OffsetDateTime now) {
    return SqlTemplate.forQuery(tx, REVOKE_ALL_SESSIONS)
        .mapTo(row -> row.getUUID("id"))
        .execute(Map.of("userId", userId, "now", now))
        .map(Rows::list);
  }

  /** Earlier links stop working when a new one is made or a password is set. */
  Future<Void> retirePasswordTokens(SqlClient tx, UUID userId, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, RETIRE_PASSWORD_TOKENS)
        .execute(Map.of("userId", userId, "now", now))
        .mapEmpty();
  }

  /** The user behind a live session, or null when user, organisation or session is not active. */
  Future<AuthenticatedUser> activeUser(UUID userId, UUID sessionId, OffsetDateTime now) {
    return activeUser
        .execute(Map.of("userId", userId, "sessionId", sessionId, "now", now))
        .map(Rows::firstOrNull);
  }

  Future<Void> insertPasswordToken(
      SqlClient tx, byte[] hash, UUID userId, OffsetDateTime expiresAt) {
    return SqlTemplate.forUpdate(tx, INSERT_PASSWORD_TOKEN)
        .execute(Map.of("hash", Buffer.buffer(hash), "userId", userId, "expiresAt", expiresAt))
        .mapEmpty();
  }

  Future<Boolean> passwordTokenUsable(byte[] hash, OffsetDateTime now) {
    return passwordTokenUsable
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.size() > 0);
  }

  /** Uses up a password token; the user it was for, or null when unknown, used or expired. */
  Future<UUID> consumePasswordToken(SqlClient tx, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forQuery(tx, CONSUME_PASSWORD_TOKEN)
        .mapTo(row -> row.getUUID("user_id"))
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(Rows::firstOrNull);
  }

  /** Sets a password; a pending user becomes active, a disabled one stays disabled. */
  Future<Void> setPassword(SqlClient tx, UUID userId, String passwordHash) {
    return SqlTemplate.forUpdate(tx, SET_PASSWORD)
        .execute(Map.of("id", userId, "hash", passwordHash))
        .mapEmpty();
  }

  Future<Void> insertWsTicket(byte[] hash, UUID userId, UUID sessionId, OffsetDateTime expiresAt) {
    return insertWsTicket
        .execute(
            Map.of(
                "hash",
                Buffer.buffer(hash),
                "userId",
                userId,
                "sessionId",
                sessionId,
                "expiresAt",
                expiresAt))
        .mapEmpty();
  }

  /** Uses up a ticket (expired ones are swept on the way); its user and session, or null. */
  Future<TicketOwner> consumeWsTicket(byte[] hash, OffsetDateTime now) {
    return consumeWsTicket
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(Rows::firstOrNull);
  }

  Future<Void> setNotifyByEmail(UUID userId, boolean on) {
    return setNotifyByEmail.execute(Map.of("id", userId, "on", on)).mapEmpty();
  }

  Future<Void> startTotpEnrolment(UUID userId, String secret) {
    return startTotpEnrolment.execute(Map.of("id", userId, "secret", secret)).mapEmpty();
  }

  Future<Void> enableTotp(SqlClient tx, UUID userId, long step) {
    return SqlTemplate.forUpdate(tx, ENABLE_TOTP)
        .execute(Map.of("id", userId, "step", step))
        .mapEmpty();
  }

  Future<Void> useTotpStep(SqlClient tx, UUID userId, long step) {
    return SqlTemplate.forUpdate(tx, USE_TOTP_STEP)
        .execute(Map.of("id", userId, "step", step))
        .mapEmpty();
  }

  Future<Void> replaceRecoveryCodes(SqlClient tx, UUID userId, List<byte[]> hashes) {
    List<Map<String, Object>> codes =
        hashes.stream()
            .map(h -> Map.<String, Object>of("id", userId, "hash", Buffer.buffer(h)))
            .toList();
    return SqlTemplate.forUpdate(tx, DELETE_RECOVERY_CODES)
        .execute(Map.of("id", userId))
        .compose(done -> SqlTemplate.forUpdate(tx, INSERT_RECOVERY_CODE).executeBatch(codes))
        .mapEmpty();
  }

  /** Uses up a recovery code; true when it was there and unused. */
  Future<Boolean> consumeRecoveryCode(SqlClient tx, UUID userId, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, CONSUME_RECOVERY_CODE)
        .execute(Map.of("id", userId, "hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.rowCount() == 1);
  }
}
