package org.konsil.server.mailbox;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.util.Arrays;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * The practice side's keys: each staff member's own mailbox key (wrapped in their browser), the
 * practice's mailbox key pair, and who may read the practice mailbox (the practice key sealed for
 * them by an admin's browser).
 */
public final class MailboxKeys {

  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final MailboxStore store = new MailboxStore();

  public MailboxKeys(Pool pool, Clock clock, AuditLog audit) {
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
  }

  /** The caller's own mailbox key, or 404 when they have none yet. */
  public Future<JsonObject> staffKey(AuthenticatedUser user) {
    return store
        .staffKey(pool, user.userId())
        .map(
            row -> {
              if (row == null) {
                throw new ApiException(
                    404, "mailbox_key_missing", "You have no mailbox key yet; make one first.");
              }
              return staffKeyJson(row);
            });
  }

  /**
   * Stores the caller's mailbox key. A new key replaces the old one and ends the caller's access to
   * the practice mailbox (it was sealed for the old key) until an admin grants it again.
   */
  public Future<JsonObject> putStaffKey(
      AuthenticatedUser user, byte[] x25519Public, byte[] wrapped, byte[] salt, int iterations) {
    if (iterations < PatientAccounts.MIN_ITERATIONS || iterations > 100_000_000) {
      throw ApiException.validation(
          "'iterations' must be at least " + PatientAccounts.MIN_ITERATIONS + ".");
    }
    return pool.withTransaction(
            tx ->
                store
                    .staffKey(tx, user.userId())
                    .compose(
                        old -> {
                          boolean replaced =
                              old != null
                                  && !Arrays.equals(
                                      old.getBuffer("x25519_public").getBytes(), x25519Public);
                          return store
                              .putStaffKey(
                                  tx,
                                  user.userId(),
                                  x25519Public,
                                  wrapped,
                                  salt,
                                  iterations,
                                  Times.now(clock))
                              .compose(
                                  done ->
                                      replaced
                                          ? store
                                              .withdraw(tx, user.organisationId(), user.userId())
                                              .<Void>mapEmpty()
                                          : Future.<Void>succeededFuture())
                              .compose(
                                  done ->
                                      audit.record(
                                          tx,
                                          AuditEvent.by(user)
                                              .on("user", user.userId())
                                              .with("replaced", replaced)
                                              .success("mailbox.staff_key_set")));
                        }))
        .compose(done -> staffKey(user));
  }

  /** The practice key's public parts and the caller's sealed copy of it, where they have one. */
  public Future<JsonObject> practiceView(AuthenticatedUser user) {
    return store
        .practiceKey(pool, user.organisationId())
        .compose(
            key ->
                store
                    .access(pool, user.organisationId(), user.userId())
                    .map(
                        access -> {
                          JsonObject json =
                              new JsonObject()
                                  .put("practiceKey", key == null ? null : practiceKeyJson(key));
                          json.put(
                              "sealedPracticeKey",
                              access == null
                                  ? null
                                  : MailboxJson.b64(
                                      access.getBuffer("sealed_practice_key").getBytes()));
                          return json;
                        }));
  }

  /** An admin's browser made the practice key pair and sealed it for the admin's own key. */
  public Future<JsonObject> createPracticeKey(
      AuthenticatedUser admin, byte[] x25519Public, byte[] ed25519Public, byte[] sealedForMe) {
    admin.requireAdmin();
    return pool.withTransaction(
            tx ->
                store
                    .staffKey(tx, admin.userId())
                    .compose(
                        own -> {
                          if (own == null) {
                            throw new ApiException(
                                409,
                                "mailbox_key_missing",
                                "Make your own mailbox key before the practice's.");
                          }
                          return store
                              .insertPracticeKey(
                                  tx,
                                  admin.organisationId(),
                                  x25519Public,
                                  ed25519Public,
                                  admin.userId(),
                                  Times.now(clock))
                              .compose(
                                  done ->
                                      store.grant(
                                          tx,
                                          admin.organisationId(),
                                          admin.userId(),
                                          own.getBuffer("x25519_public").getBytes(),
                                          sealedForMe,
                                          admin.userId(),
                                          Times.now(clock)))
                              .compose(
                                  done ->
                                      audit.record(
                                          tx,
                                          AuditEvent.by(admin)
                                              .on("organisation", admin.organisationId())
                                              .success("mailbox.practice_key_created")));
                        }))
        .recover(
            failure ->
                Future.failedFuture(
                    failure instanceof PgException pg && "23505".equals(pg.getSqlState())
                        ? ApiException.conflict(
                            "mailbox_key_exists", "Your practice has a mailbox key already.")
                        : failure))
        .compose(done -> practiceView(admin));
  }

  /** The practice's active staff, whether they have a mailbox key, and who has access (admins). */
  public Future<JsonArray> staff(AuthenticatedUser admin) {
    admin.requireAdmin();
    return store
        .staffWithKeys(pool, admin.organisationId())
        .map(
            rows -> {
              JsonArray list = new JsonArray();
              for (Row row : rows) {
                byte[] key =
                    row.getBuffer("x25519_public") == null
                        ? null
                        : row.getBuffer("x25519_public").getBytes();
                list.add(
                    new JsonObject()
                        .put("userId", row.getUUID("id").toString())
                        .put("displayName", row.getString("display_name"))
                        .put("email", row.getString("email"))
                        .put("x25519Public", MailboxJson.b64(key))
                        .put("hasAccess", row.getOffsetDateTime("granted_at") != null)
                        .put("grantedAt", Times.iso(row.getOffsetDateTime("granted_at"))));
              }
              return list;
            });
  }

  /**
   * Grants a staff member access: the admin's browser sealed the practice key for the member's key,
   * which must be the one the member has now.
   */
  public Future<Void> grant(
      AuthenticatedUser admin, UUID userId, byte[] staffPublic, byte[] sealed) {
    admin.requireAdmin();
    return requireAccess(admin)
        .compose(
            ownAccess ->
                pool.withTransaction(
                    tx ->
                        store
                            .staffKey(tx, userId)
                            .compose(
                                key -> {
                                  // a key of another organisation's user is as unknown as none
                                  return store
                                      .staffWithKeys(tx, admin.organisationId())
                                      .map(
                                          rows ->
                                              rows.stream()
                                                  .anyMatch(r -> r.getUUID("id").equals(userId)))
                                      .compose(
                                          member -> {
                                            if (!member) {
                                              throw ApiException.notFound("No such user.");
                                            }
                                            if (key == null
                                                || !Arrays.equals(
                                                    key.getBuffer("x25519_public").getBytes(),
                                                    staffPublic)) {
                                              throw new ApiException(
                                                  409,
                                                  "mailbox_key_changed",
                                                  "The staff member has no mailbox key, or a"
                                                      + " different one now; reload and try again.");
                                            }
                                            return store.grant(
                                                tx,
                                                admin.organisationId(),
                                                userId,
                                                staffPublic,
                                                sealed,
                                                admin.userId(),
                                                Times.now(clock));
                                          });
                                })
                            .compose(
                                done ->
                                    audit.record(
                                        tx,
                                        AuditEvent.by(admin)
                                            .on("user", userId)
                                            .success("mailbox.access_granted")))));
  }

  public Future<Void> withdraw(AuthenticatedUser admin, UUID userId) {
    admin.requireAdmin();
    return pool.withTransaction(
        tx ->
            store
                .withdraw(tx, admin.organisationId(), userId)
                .compose(
                    removed -> {
                      if (!removed) {
                        throw ApiException.notFound("This user has no access to withdraw.");
                      }
                      return audit.record(
                          tx,
                          AuditEvent.by(admin)
                              .on("user", userId)
                              .success("mailbox.access_withdrawn"));
                    }));
  }

  /** The practice's public keys; refused when the practice has not set its mailbox up. */
  Future<Row> requirePracticeKey(UUID organisationId) {
    return store
        .practiceKey(pool, organisationId)
        .map(
            key -> {
              if (key == null) {
                throw ApiException.conflict(
                    "mailbox_not_set_up",
                    "Your practice has no mailbox key yet; an administrator sets it up first.");
              }
              return key;
            });
  }

  /** Refuses a staff member who may not read the practice mailbox. */
  Future<Void> requireAccess(AuthenticatedUser user) {
    return store
        .access(pool, user.organisationId(), user.userId())
        .map(
            row -> {
              if (row == null) {
                throw ApiException.forbidden(
                    "mailbox_access_required",
                    "You may not read the practice mailbox; an administrator can grant it.");
              }
              return null;
            });
  }

  static JsonObject practiceKeyJson(Row row) {
    return new JsonObject()
        .put("x25519Public", MailboxJson.b64(row.getBuffer("x25519_public").getBytes()))
        .put("ed25519Public", MailboxJson.b64(row.getBuffer("ed25519_public").getBytes()));
  }

  private static JsonObject staffKeyJson(Row row) {
    return new JsonObject()
        .put("x25519Public", MailboxJson.b64(row.getBuffer("x25519_public").getBytes()))
        .put("wrappedPrivate", MailboxJson.b64(row.getBuffer("wrapped_private").getBytes()))
        .put("salt", MailboxJson.b64(row.getBuffer("salt").getBytes()))
        .put("iterations", row.getInteger("iterations"));
  }
}
