package org.konsil.server.mailbox;

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

/** SQL of the patient mailbox; every statement runs on the client (pool or transaction) given. */
final class MailboxStore {

  private static final String ACCOUNT =
      """
      SELECT a.*, o.name AS organisation_name FROM mailbox_accounts a
        JOIN organisations o ON o.id = a.organisation_id""";

  private static final String INSERT_ACCOUNT =
      """
      INSERT INTO mailbox_accounts (id, organisation_id, patient_id, email, status,
        registration_hash, registration_expires_at, salt, invited_by, created_at)
      VALUES (#{id}, #{org}, #{patient}, #{email}, 'invited', #{hash}, #{expires}, #{salt},
        #{by}, #{now})""";

  private static final String REGISTER =
      """
      UPDATE mailbox_accounts SET status = 'active', registration_hash = NULL,
        registration_expires_at = NULL, iterations = #{iterations}, login_hash = #{loginHash},
        x25519_public = #{x}, ed25519_public = #{ed}, wrapped_private = #{wrapped},
        registered_at = #{now}, failed_logins = 0, locked_until = NULL
       WHERE id = #{id}""";

  private static final String FAILURE =
      """
      UPDATE mailbox_accounts SET failed_logins = failed_logins + 1,
        locked_until = CASE WHEN failed_logins + 1 >= #{max} THEN #{lockUntil} ELSE locked_until END
       WHERE id = #{id} RETURNING failed_logins""";

  private static final String CLEAR_FAILURES =
      "UPDATE mailbox_accounts SET failed_logins = 0, locked_until = NULL WHERE id = #{id}";

  private static final String MESSAGE =
      """
      SELECT m.*, a.patient_id FROM mailbox_messages m
        JOIN mailbox_accounts a ON a.id = m.account_id""";

  private static final String INSERT_MESSAGE =
      """
      INSERT INTO mailbox_messages (id, account_id, organisation_id, direction, sender_user_id,
        envelope, signature, key_for_patient, key_for_practice, attachment_sizes, created_at)
      VALUES (#{id}, #{account}, #{org}, #{direction}, #{sender}, #{envelope}, #{signature},
        #{keyPatient}, #{keyPractice}, #{sizes}, #{now})""";

  private static final String INSERT_ATTACHMENT =
      "INSERT INTO mailbox_attachments (message_id, position, content)"
          + " VALUES (#{id}, #{position}, #{content})";

  Future<MailboxAccount> accountByPatient(SqlClient client, UUID patientId) {
    return accountWhere(client, "a.patient_id = #{v}", patientId);
  }

  Future<MailboxAccount> accountById(SqlClient client, UUID id) {
    return accountWhere(client, "a.id = #{v}", id);
  }

  Future<MailboxAccount> lockAccount(SqlClient tx, UUID id) {
    return SqlTemplate.forQuery(tx, ACCOUNT + " WHERE a.id = #{v} FOR UPDATE OF a")
        .mapTo(MailboxAccount.MAPPER)
        .execute(Map.of("v", id))
        .map(Rows::firstOrNull);
  }

  Future<MailboxAccount> accountByRegistration(SqlClient client, byte[] hash) {
    return accountWhere(client, "a.registration_hash = #{v}", Buffer.buffer(hash));
  }

  /** The account that logs in with this address at this practice (closed ones never). */
  Future<MailboxAccount> accountByLogin(SqlClient client, UUID organisationId, String email) {
    return SqlTemplate.forQuery(
            client,
            ACCOUNT
                + " WHERE a.organisation_id = #{org} AND lower(a.email) = lower(#{email})"
                + " AND a.status <> 'closed'")
        .mapTo(MailboxAccount.MAPPER)
        .execute(Map.of("org", organisationId, "email", email))
        .map(Rows::firstOrNull);
  }

  private Future<MailboxAccount> accountWhere(SqlClient client, String where, Object value) {
    return SqlTemplate.forQuery(client, ACCOUNT + " WHERE " + where)
        .mapTo(MailboxAccount.MAPPER)
        .execute(Map.of("v", value))
        .map(Rows::firstOrNull);
  }

  Future<Void> insertAccount(
      SqlClient tx,
      UUID id,
      UUID org,
      UUID patient,
      String email,
      byte[] registrationHash,
      OffsetDateTime expires,
      byte[] salt,
      UUID by,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("org", org);
    p.put("patient", patient);
    p.put("email", email);
    p.put("hash", Buffer.buffer(registrationHash));
    p.put("expires", expires);
    p.put("salt", Buffer.buffer(salt));
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, INSERT_ACCOUNT).execute(p).mapEmpty();
  }

  /** A new registration link for an invited account, a new salt with it. */
  Future<Void> renewInvitation(
      SqlClient tx, UUID id, String email, byte[] hash, OffsetDateTime expires, byte[] salt) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("email", email);
    p.put("hash", Buffer.buffer(hash));
    p.put("expires", expires);
    p.put("salt", Buffer.buffer(salt));
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE mailbox_accounts SET email = #{email}, registration_hash = #{hash},"
                + " registration_expires_at = #{expires}, salt = #{salt} WHERE id = #{id}")
        .execute(p)
        .mapEmpty();
  }

  Future<Void> register(
      SqlClient tx,
      UUID id,
      int iterations,
      String loginHash,
      byte[] x,
      byte[] ed,
      byte[] wrapped,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("iterations", iterations);
    p.put("loginHash", loginHash);
    p.put("x", Buffer.buffer(x));
    p.put("ed", Buffer.buffer(ed));
    p.put("wrapped", Buffer.buffer(wrapped));
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, REGISTER).execute(p).mapEmpty();
  }

  Future<Integer> recordFailure(SqlClient tx, UUID id, int max, OffsetDateTime lockUntil) {
    return SqlTemplate.forQuery(tx, FAILURE)
        .execute(Map.of("id", id, "max", max, "lockUntil", lockUntil))
        .map(rows -> rows.iterator().next().getInteger("failed_logins"));
  }

  Future<Void> clearFailures(SqlClient tx, UUID id) {
    return SqlTemplate.forUpdate(tx, CLEAR_FAILURES).execute(Map.of("id", id)).mapEmpty();
  }

  Future<Void> setStatus(SqlClient tx, UUID id, String status, String timeColumn, Object now) {
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE mailbox_accounts SET status = #{status}, "
                + timeColumn
                + " = #{now} WHERE id = #{id}")
        .execute(params("id", id, "status", status, "now", now))
        .mapEmpty();
  }

  /**
   * Closing: the patient's wrapped keys, login and sealed copies of content keys go; the practice
   * keeps its copies (documentation duty).
   */
  Future<Void> close(SqlClient tx, UUID id, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            tx,
            """
            UPDATE mailbox_accounts SET status = 'closed', closed_at = #{now}, login_hash = NULL,
              wrapped_private = NULL, registration_hash = NULL, registration_expires_at = NULL,
              recovery_hash = NULL, recovery_wrapped = NULL, recovery_created_at = NULL
             WHERE id = #{id}""")
        .execute(Map.of("id", id, "now", now))
        .compose(
            done ->
                SqlTemplate.forUpdate(
                        tx,
                        "UPDATE mailbox_messages SET key_for_patient = NULL"
                            + " WHERE account_id = #{id}")
                    .execute(Map.of("id", id)))
        .compose(done -> endSessions(tx, id));
  }

  private static Map<String, Object> params(Object... pairs) {
    Map<String, Object> p = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      p.put((String) pairs[i], pairs[i + 1]);
    }
    return p;
  }

  // recovery and password reset

  Future<Void> setRecovery(SqlClient tx, UUID id, byte[] hash, byte[] wrapped, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE mailbox_accounts SET recovery_hash = #{hash}, recovery_wrapped = #{wrapped},"
                + " recovery_created_at = #{now} WHERE id = #{id}")
        .execute(
            params(
                "id",
                id,
                "hash",
                Buffer.buffer(hash),
                "wrapped",
                Buffer.buffer(wrapped),
                "now",
                now))
        .mapEmpty();
  }

  /** The recovery hash and wrapped keys of an account, or null. */
  Future<Row> recovery(SqlClient client, UUID id) {
    return SqlTemplate.forQuery(
            client,
            "SELECT recovery_hash, recovery_wrapped FROM mailbox_accounts WHERE id = #{id}"
                + " AND recovery_hash IS NOT NULL")
        .execute(Map.of("id", id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  Future<Void> insertResetToken(
      SqlClient tx,
      byte[] hash,
      UUID account,
      String kind,
      byte[] salt,
      OffsetDateTime now,
      OffsetDateTime expires) {
    return SqlTemplate.forUpdate(
            tx,
            """
            INSERT INTO mailbox_reset_tokens (token_hash, account_id, kind, salt, created_at,
              expires_at) VALUES (#{hash}, #{account}, #{kind}, #{salt}, #{now}, #{expires})""")
        .execute(
            params(
                "hash",
                Buffer.buffer(hash),
                "account",
                account,
                "kind",
                kind,
                "salt",
                Buffer.buffer(salt),
                "now",
                now,
                "expires",
                expires))
        .mapEmpty();
  }

  /** An unused, unexpired reset token: account id, kind and salt; null otherwise. */
  Future<Row> resetToken(SqlClient client, byte[] hash, OffsetDateTime now, boolean lock) {
    return SqlTemplate.forQuery(
            client,
            "SELECT account_id, kind, salt FROM mailbox_reset_tokens WHERE token_hash = #{hash}"
                + " AND used_at IS NULL AND expires_at > #{now}"
                + (lock ? " FOR UPDATE" : ""))
        .execute(params("hash", Buffer.buffer(hash), "now", now))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  /** Whether a reset link went to the account since the given time (so no second one is sent). */
  Future<Boolean> recentResetLink(SqlClient client, UUID account, OffsetDateTime since) {
    return SqlTemplate.forQuery(
            client,
            "SELECT 1 FROM mailbox_reset_tokens WHERE account_id = #{account} AND kind = 'link'"
                + " AND created_at > #{since}")
        .execute(params("account", account, "since", since))
        .map(rows -> rows.size() > 0);
  }

  Future<Void> useResetTokens(SqlClient tx, UUID account, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE mailbox_reset_tokens SET used_at = #{now} WHERE account_id = #{account}"
                + " AND used_at IS NULL")
        .execute(params("account", account, "now", now))
        .mapEmpty();
  }

  /** A new password; with new keys the recovery sheet no longer fits and goes. */
  Future<Void> resetPassword(
      SqlClient tx,
      UUID id,
      byte[] salt,
      int iterations,
      String loginHash,
      byte[] wrapped,
      byte[] newX,
      byte[] newEd) {
    boolean newKeys = newX != null;
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE mailbox_accounts SET salt = #{salt}, iterations = #{iterations},"
                + " login_hash = #{hash}, wrapped_private = #{wrapped},"
                + " failed_logins = 0, locked_until = NULL"
                + (newKeys
                    ? ", x25519_public = #{x}, ed25519_public = #{ed}, recovery_hash = NULL,"
                        + " recovery_wrapped = NULL, recovery_created_at = NULL"
                    : "")
                + " WHERE id = #{id}")
        .execute(
            params(
                "id",
                id,
                "salt",
                Buffer.buffer(salt),
                "iterations",
                iterations,
                "hash",
                loginHash,
                "wrapped",
                Buffer.buffer(wrapped),
                "x",
                newKeys ? Buffer.buffer(newX) : null,
                "ed",
                newKeys ? Buffer.buffer(newEd) : null))
        .mapEmpty();
  }

  // sessions

  Future<Void> insertSession(
      SqlClient tx, byte[] tokenHash, UUID account, OffsetDateTime now, OffsetDateTime expires) {
    return SqlTemplate.forUpdate(
            tx,
            "INSERT INTO mailbox_sessions (token_hash, account_id, created_at, expires_at)"
                + " VALUES (#{hash}, #{account}, #{now}, #{expires})")
        .execute(
            Map.of(
                "hash",
                Buffer.buffer(tokenHash),
                "account",
                account,
                "now",
                now,
                "expires",
                expires))
        .mapEmpty();
  }

  /** The account of a live session of an active or blocked mailbox, or null. */
  Future<MailboxAccount> accountBySession(SqlClient client, byte[] tokenHash, OffsetDateTime now) {
    return SqlTemplate.forQuery(
            client,
            ACCOUNT
                + " JOIN mailbox_sessions s ON s.account_id = a.id"
                + " WHERE s.token_hash = #{hash} AND s.expires_at > #{now}"
                + " AND a.status IN ('active', 'blocked')")
        .mapTo(MailboxAccount.MAPPER)
        .execute(Map.of("hash", Buffer.buffer(tokenHash), "now", now))
        .map(Rows::firstOrNull);
  }

  Future<Void> endSession(SqlClient client, byte[] tokenHash) {
    return SqlTemplate.forUpdate(client, "DELETE FROM mailbox_sessions WHERE token_hash = #{hash}")
        .execute(Map.of("hash", Buffer.buffer(tokenHash)))
        .mapEmpty();
  }

  Future<Void> endSessions(SqlClient client, UUID account) {
    return SqlTemplate.forUpdate(client, "DELETE FROM mailbox_sessions WHERE account_id = #{id}")
        .execute(Map.of("id", account))
        .mapEmpty();
  }

  // keys and access

  Future<Row> practiceKey(SqlClient client, UUID org) {
    return SqlTemplate.forQuery(
            client, "SELECT * FROM mailbox_practice_keys WHERE organisation_id = #{org}")
        .execute(Map.of("org", org))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  Future<Void> insertPracticeKey(
      SqlClient tx, UUID org, byte[] x, byte[] ed, UUID by, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            tx,
            """
            INSERT INTO mailbox_practice_keys (organisation_id, x25519_public, ed25519_public,
              created_by, created_at) VALUES (#{org}, #{x}, #{ed}, #{by}, #{now})""")
        .execute(
            Map.of(
                "org", org, "x", Buffer.buffer(x), "ed", Buffer.buffer(ed), "by", by, "now", now))
        .mapEmpty();
  }

  Future<Row> staffKey(SqlClient client, UUID user) {
    return SqlTemplate.forQuery(client, "SELECT * FROM mailbox_staff_keys WHERE user_id = #{u}")
        .execute(Map.of("u", user))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  Future<Void> putStaffKey(
      SqlClient tx,
      UUID user,
      byte[] x,
      byte[] wrapped,
      byte[] salt,
      int iterations,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("u", user);
    p.put("x", Buffer.buffer(x));
    p.put("w", Buffer.buffer(wrapped));
    p.put("s", Buffer.buffer(salt));
    p.put("i", iterations);
    p.put("now", now);
    return SqlTemplate.forUpdate(
            tx,
            """
            INSERT INTO mailbox_staff_keys (user_id, x25519_public, wrapped_private, salt,
              iterations, created_at) VALUES (#{u}, #{x}, #{w}, #{s}, #{i}, #{now})
            ON CONFLICT (user_id) DO UPDATE SET x25519_public = #{x}, wrapped_private = #{w},
              salt = #{s}, iterations = #{i}, created_at = #{now}""")
        .execute(p)
        .mapEmpty();
  }

  /** A staff member's access row, or null. */
  Future<Row> access(SqlClient client, UUID org, UUID user) {
    return SqlTemplate.forQuery(
            client,
            "SELECT * FROM mailbox_access WHERE organisation_id = #{org} AND user_id = #{u}")
        .execute(Map.of("org", org, "u", user))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  Future<List<Row>> staffWithKeys(SqlClient client, UUID org) {
    return SqlTemplate.forQuery(
            client,
            """
            SELECT u.id, u.email, u.display_name, k.x25519_public, a.granted_at,
              a.staff_x25519_public
              FROM users u
              LEFT JOIN mailbox_staff_keys k ON k.user_id = u.id
              LEFT JOIN mailbox_access a ON a.user_id = u.id AND a.organisation_id = u.organisation_id
             WHERE u.organisation_id = #{org} AND u.status = 'active'
             ORDER BY lower(u.display_name), u.id""")
        .execute(Map.of("org", org))
        .map(rows -> Rows.list(rows));
  }

  Future<Void> grant(
      SqlClient tx,
      UUID org,
      UUID user,
      byte[] staffPublic,
      byte[] sealed,
      UUID by,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("org", org);
    p.put("u", user);
    p.put("x", Buffer.buffer(staffPublic));
    p.put("sealed", Buffer.buffer(sealed));
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(
            tx,
            """
            INSERT INTO mailbox_access (organisation_id, user_id, staff_x25519_public,
              sealed_practice_key, granted_by, granted_at)
            VALUES (#{org}, #{u}, #{x}, #{sealed}, #{by}, #{now})
            ON CONFLICT (organisation_id, user_id) DO UPDATE SET staff_x25519_public = #{x},
              sealed_practice_key = #{sealed}, granted_by = #{by}, granted_at = #{now}""")
        .execute(p)
        .mapEmpty();
  }

  Future<Boolean> withdraw(SqlClient tx, UUID org, UUID user) {
    return SqlTemplate.forUpdate(
            tx, "DELETE FROM mailbox_access WHERE organisation_id = #{org} AND user_id = #{u}")
        .execute(Map.of("org", org, "u", user))
        .map(result -> result.rowCount() > 0);
  }

  /** Whether the room is about this patient and the organisation is one of its members. */
  Future<Boolean> patientRoomOf(SqlClient client, UUID room, UUID patient, UUID org) {
    return SqlTemplate.forQuery(
            client,
            """
            SELECT 1 FROM rooms r JOIN room_members m ON m.room_id = r.id
             WHERE r.id = #{room} AND r.patient_id = #{patient} AND m.organisation_id = #{org}""")
        .execute(params("room", room, "patient", patient, "org", org))
        .map(rows -> rows.size() > 0);
  }

  // messages

  Future<Void> insertMessage(SqlClient tx, MailboxMessage m, List<byte[]> attachments) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", m.id());
    p.put("account", m.mailboxId());
    p.put("org", m.organisationId());
    p.put("direction", m.direction());
    p.put("sender", m.senderUserId());
    p.put("envelope", Buffer.buffer(m.envelope()));
    p.put("signature", Buffer.buffer(m.signature()));
    p.put("keyPatient", Buffer.buffer(m.keyForPatient()));
    p.put("keyPractice", Buffer.buffer(m.keyForPractice()));
    p.put("sizes", m.attachmentSizes());
    p.put("now", m.createdAt());
    Future<Void> done = SqlTemplate.forUpdate(tx, INSERT_MESSAGE).execute(p).mapEmpty();
    for (int i = 0; i < attachments.size(); i++) {
      int position = i;
      done =
          done.compose(
              x ->
                  SqlTemplate.forUpdate(tx, INSERT_ATTACHMENT)
                      .execute(
                          Map.of(
                              "id",
                              m.id(),
                              "position",
                              (short) position,
                              "content",
                              Buffer.buffer(attachments.get(position))))
                      .mapEmpty());
    }
    return done;
  }

  Future<MailboxMessage> message(SqlClient client, UUID id) {
    return SqlTemplate.forQuery(client, MESSAGE + " WHERE m.id = #{id}")
        .mapTo(MailboxMessage.MAPPER)
        .execute(Map.of("id", id))
        .map(Rows::firstOrNull);
  }

  Future<List<MailboxMessage>> messagesOf(SqlClient client, UUID account) {
    return SqlTemplate.forQuery(
            client, MESSAGE + " WHERE m.account_id = #{id} ORDER BY m.created_at DESC, m.id")
        .mapTo(MailboxMessage.MAPPER)
        .execute(Map.of("id", account))
        .map(Rows::list);
  }

  /** What patients wrote to the practice, newest first. */
  Future<List<MailboxMessage>> practiceInbox(SqlClient client, UUID org) {
    return SqlTemplate.forQuery(
            client,
            MESSAGE
                + " WHERE m.organisation_id = #{org} AND m.direction = 'to_practice'"
                + " ORDER BY m.created_at DESC, m.id LIMIT 200")
        .mapTo(MailboxMessage.MAPPER)
        .execute(Map.of("org", org))
        .map(Rows::list);
  }

  Future<byte[]> attachment(SqlClient client, UUID message, int position) {
    return SqlTemplate.forQuery(
            client,
            "SELECT content FROM mailbox_attachments WHERE message_id = #{id}"
                + " AND position = #{position}")
        .execute(Map.of("id", message, "position", (short) position))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getBuffer(0).getBytes());
  }

  /** Marks read once; answers whether this call marked it. */
  Future<Boolean> markRead(SqlClient tx, UUID id, UUID reader, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("by", reader);
    p.put("now", now);
    return SqlTemplate.forUpdate(
            tx,
            "UPDATE mailbox_messages SET read_at = #{now}, read_by = #{by}"
                + " WHERE id = #{id} AND read_at IS NULL")
        .execute(p)
        .map(result -> result.rowCount() > 0);
  }
}
