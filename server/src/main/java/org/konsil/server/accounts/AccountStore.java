package org.konsil.server.accounts;

import org.konsil.server.identity.AuthenticatedUser;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.RowMapper;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for users' credentials, sessions, refresh tokens, tickets and recovery codes. */
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

  private static final String CREDENTIALS_SELECT =
      "SELECT u.id, u.organisation_id, u.status, o.status AS organisation_status, u.password_hash,"
          + " u.failed_logins, u.locked_until, u.totp_enabled, u.totp_secret, u.totp_last_step"
          + " FROM users u JOIN organisations o ON o.id = u.organisation_id";

  Future<Credentials> credentialsByEmail(SqlClient client, String email) {
    return SqlTemplate.forQuery(
            client, CREDENTIALS_SELECT + " WHERE lower(u.email) = lower(#{email})")
        .mapTo(CREDENTIALS)
        .execute(Map.of("email", email))
        .map(Rows::firstOrNull);
  }

  Future<Credentials> credentialsById(SqlClient client, UUID userId, boolean forUpdate) {
    return SqlTemplate.forQuery(
            client,
            CREDENTIALS_SELECT + " WHERE u.id = #{id}" + (forUpdate ? " FOR UPDATE OF u" : ""))
        .mapTo(CREDENTIALS)
        .execute(Map.of("id", userId))
        .map(Rows::firstOrNull);
  }

  /**
   * Counts a failure; at the limit the account is locked and the counter starts again. Answers the
   * failures counted, the one that locked included.
   */
  Future<Integer> recordFailure(
      SqlClient client, UUID userId, int maxFailures, OffsetDateTime lockUntil) {
    return SqlTemplate.forQuery(
            client,
            "UPDATE users SET"
                + " locked_until = CASE WHEN failed_logins + 1 >= #{max} THEN #{lockUntil}"
                + " ELSE locked_until END,"
                + " failed_logins = CASE WHEN failed_logins + 1 >= #{max} THEN 0"
                + " ELSE failed_logins + 1 END"
                + " WHERE id = #{id}"
                + " RETURNING CASE WHEN failed_logins = 0 AND locked_until = #{lockUntil}"
                + " THEN #{max} ELSE failed_logins END AS failures")
        .execute(Map.of("id", userId, "max", maxFailures, "lockUntil", lockUntil))
        .map(rows -> rows.iterator().next().getInteger("failures"));
  }

  Future<Void> clearFailures(SqlClient client, UUID userId) {
    return SqlTemplate.forUpdate(
            client, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = #{id}")
        .execute(Map.of("id", userId))
        .mapEmpty();
  }

  Future<Void> createSession(
      SqlClient client, UUID sessionId, UUID userId, OffsetDateTime now, OffsetDateTime expiresAt) {
    return SqlTemplate.forUpdate(
            client,
            "INSERT INTO sessions (id, user_id, created_at, expires_at)"
                + " VALUES (#{id}, #{userId}, #{now}, #{expiresAt})")
        .execute(Map.of("id", sessionId, "userId", userId, "now", now, "expiresAt", expiresAt))
        .mapEmpty();
  }

  Future<Void> insertRefreshToken(
      SqlClient client, byte[] hash, UUID sessionId, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            client,
            "INSERT INTO refresh_tokens (token_hash, session_id, issued_at)"
                + " VALUES (#{hash}, #{sessionId}, #{now})")
        .execute(Map.of("hash", Buffer.buffer(hash), "sessionId", sessionId, "now", now))
        .mapEmpty();
  }

  Future<RefreshTokenRow> lockRefreshToken(SqlClient client, byte[] hash) {
    return SqlTemplate.forQuery(
            client,
            "SELECT t.session_id, s.user_id, u.organisation_id, t.used_at,"
                + " s.expires_at AS session_expires_at, s.revoked_at AS session_revoked_at"
                + " FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id"
                + " JOIN users u ON u.id = s.user_id"
                + " WHERE t.token_hash = #{hash} FOR UPDATE OF t")
        .mapTo(
            row ->
                new RefreshTokenRow(
                    row.getUUID("session_id"),
                    row.getUUID("user_id"),
                    row.getUUID("organisation_id"),
                    row.getOffsetDateTime("used_at"),
                    row.getOffsetDateTime("session_expires_at"),
                    row.getOffsetDateTime("session_revoked_at")))
        .execute(Map.of("hash", Buffer.buffer(hash)))
        .map(Rows::firstOrNull);
  }

  Future<Void> markRefreshTokenUsed(SqlClient client, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            client, "UPDATE refresh_tokens SET used_at = #{now} WHERE token_hash = #{hash}")
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .mapEmpty();
  }

  Future<Void> revokeSession(SqlClient client, UUID sessionId, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            client,
            "UPDATE sessions SET revoked_at = #{now} WHERE id = #{id} AND revoked_at IS NULL")
        .execute(Map.of("id", sessionId, "now", now))
        .mapEmpty();
  }

  /** Ends the user's live sessions; answers their ids. */
  Future<List<UUID>> revokeAllSessions(SqlClient client, UUID userId, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            client,
            "UPDATE sessions SET revoked_at = #{now} WHERE user_id = #{userId} AND revoked_at IS NULL"
                + " RETURNING id")
        .execute(Map.of("userId", userId, "now", now))
        .map(rows -> Rows.list(rows).stream().map(row -> row.getUUID("id")).toList());
  }

  /** Earlier links stop working when a new one is made or a password is set. */
  Future<Void> retirePasswordTokens(SqlClient client, UUID userId, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            client,
            "UPDATE password_tokens SET used_at = #{now} WHERE user_id = #{userId} AND used_at IS NULL")
        .execute(Map.of("userId", userId, "now", now))
        .mapEmpty();
  }

  /** The user behind a live session, or null when user, organisation or session is not active. */
  Future<AuthenticatedUser> activeUser(
      SqlClient client, UUID userId, UUID sessionId, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            client,
            "SELECT u.id, s.id AS session_id, u.organisation_id, o.name AS organisation_name,"
                + " u.email, u.display_name, u.role, u.totp_enabled, o.require_second_factor,"
                + " s.expires_at AS session_expires_at, u.notify_by_email"
                + " FROM users u JOIN organisations o ON o.id = u.organisation_id"
                + " JOIN sessions s ON s.user_id = u.id"
                + " WHERE u.id = #{userId} AND s.id = #{sessionId} AND u.status = 'active'"
                + " AND o.status = 'active' AND s.revoked_at IS NULL AND s.expires_at > #{now}")
        .mapTo(AUTHENTICATED)
        .execute(Map.of("userId", userId, "sessionId", sessionId, "now", now))
        .map(Rows::firstOrNull);
  }

  Future<Void> insertPasswordToken(
      SqlClient client, byte[] hash, UUID userId, OffsetDateTime expiresAt) {
    return SqlTemplate.forUpdate(
            client,
            "INSERT INTO password_tokens (token_hash, user_id, expires_at)"
                + " VALUES (#{hash}, #{userId}, #{expiresAt})")
        .execute(Map.of("hash", Buffer.buffer(hash), "userId", userId, "expiresAt", expiresAt))
        .mapEmpty();
  }

  Future<Boolean> passwordTokenUsable(SqlClient client, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            client,
            "SELECT 1 FROM password_tokens"
                + " WHERE token_hash = #{hash} AND used_at IS NULL AND expires_at > #{now}")
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.size() > 0);
  }

  /** Uses up a password token; the user it was for, or null when unknown, used or expired. */
  Future<UUID> consumePasswordToken(SqlClient client, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            client,
            "UPDATE password_tokens SET used_at = #{now}"
                + " WHERE token_hash = #{hash} AND used_at IS NULL AND expires_at > #{now}"
                + " RETURNING user_id")
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID("user_id"));
  }

  /** Sets a password; a pending user becomes active, a disabled one stays disabled. */
  Future<Void> setPassword(SqlClient client, UUID userId, String passwordHash) {
    return SqlTemplate.forUpdate(
            client,
            "UPDATE users SET password_hash = #{hash}, failed_logins = 0, locked_until = NULL,"
                + " status = CASE WHEN status = 'pending' THEN 'active' ELSE status END"
                + " WHERE id = #{id}")
        .execute(Map.of("id", userId, "hash", passwordHash))
        .mapEmpty();
  }

  Future<Void> insertWsTicket(
      SqlClient client, byte[] hash, UUID userId, UUID sessionId, OffsetDateTime expiresAt) {
    return SqlTemplate.forUpdate(
            client,
            "INSERT INTO ws_tickets (ticket_hash, user_id, session_id, expires_at)"
                + " VALUES (#{hash}, #{userId}, #{sessionId}, #{expiresAt})")
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
  Future<Row> consumeWsTicket(SqlClient client, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            client,
            "WITH swept AS (DELETE FROM ws_tickets WHERE expires_at <= #{now})"
                + " DELETE FROM ws_tickets WHERE ticket_hash = #{hash} AND expires_at > #{now}"
                + " RETURNING user_id, session_id")
        .execute(Map.of("hash", Buffer.buffer(hash), "now", now))
        .map(Rows::firstOrNull);
  }

  Future<Void> setNotifyByEmail(SqlClient client, UUID userId, boolean on) {
    return SqlTemplate.forUpdate(
            client, "UPDATE users SET notify_by_email = #{on} WHERE id = #{id}")
        .execute(Map.of("id", userId, "on", on))
        .mapEmpty();
  }

  Future<Void> startTotpEnrolment(SqlClient client, UUID userId, String secret) {
    return SqlTemplate.forUpdate(
            client,
            "UPDATE users SET totp_secret = #{secret} WHERE id = #{id} AND NOT totp_enabled")
        .execute(Map.of("id", userId, "secret", secret))
        .mapEmpty();
  }

  Future<Void> enableTotp(SqlClient client, UUID userId, long step) {
    return SqlTemplate.forUpdate(
            client,
            "UPDATE users SET totp_enabled = true, totp_last_step = #{step} WHERE id = #{id}")
        .execute(Map.of("id", userId, "step", step))
        .mapEmpty();
  }

  Future<Void> useTotpStep(SqlClient client, UUID userId, long step) {
    return SqlTemplate.forUpdate(
            client, "UPDATE users SET totp_last_step = #{step} WHERE id = #{id}")
        .execute(Map.of("id", userId, "step", step))
        .mapEmpty();
  }

  Future<Void> replaceRecoveryCodes(SqlClient client, UUID userId, List<byte[]> hashes) {
    Future<?> deleted =
        SqlTemplate.forUpdate(client, "DELETE FROM recovery_codes WHERE user_id = #{id}")
            .execute(Map.of("id", userId));
    return deleted
        .compose(
            done ->
                SqlTemplate.forUpdate(
                        client,
                        "INSERT INTO recovery_codes (user_id, code_hash) VALUES (#{id}, #{hash})")
                    .executeBatch(
                        hashes.stream()
                            .map(
                                h -> Map.<String, Object>of("id", userId, "hash", Buffer.buffer(h)))
                            .toList()))
        .mapEmpty();
  }

  /** Uses up a recovery code; true when it was there and unused. */
  Future<Boolean> consumeRecoveryCode(
      SqlClient client, UUID userId, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            client,
            "UPDATE recovery_codes SET used_at = #{now}"
                + " WHERE user_id = #{id} AND code_hash = #{hash} AND used_at IS NULL")
        .execute(Map.of("id", userId, "hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.rowCount() == 1);
  }
}
