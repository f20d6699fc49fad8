package org.konsil.server.devices;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Base64;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * The users' recovery backups of end-to-end clients: one opaque blob per user, encrypted on the
 * device with a key derived from a recovery code the server never sees. Only the user reaches their
 * own backup; storing, reading and deleting are audited.
 */
public final class KeyBackups {

  /** The largest backup, in bytes (its base64 fits the default 1 MiB request body). */
  public static final int MAX_BYTES = 524_288;

  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final KeyBackupStore store = new KeyBackupStore();

  public KeyBackups(Pool pool, Clock clock, AuditLog audit) {
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
  }

  /** Stores (replaces) the caller's backup. */
  Future<JsonObject> put(AuthenticatedUser user, Json body) {
    byte[] backup = decode(body.requiredText("backup", 2 * MAX_BYTES));
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
            tx ->
                store
                    .put(tx, user.userId(), backup, now)
                    .compose(
                        stored ->
                            audit.record(
                                tx,
                                AuditEvent.by(user)
                                    .on("user", user.userId())
                                    .with("size", backup.length)
                                    .success("key_backup.stored"))))
        .map(done -> view(backup.length, now));
  }

  /** The caller's backup. */
  Future<JsonObject> get(AuthenticatedUser user) {
    return pool.withTransaction(
        tx ->
            store
                .get(tx, user.userId())
                .compose(
                    stored -> {
                      if (stored == null) {
                        throw missing();
                      }
                      return audit
                          .record(
                              tx,
                              AuditEvent.by(user)
                                  .on("user", user.userId())
                                  .with("size", stored.backup().length)
                                  .success("key_backup.read"))
                          .map(
                              done ->
                                  view(stored.backup().length, stored.updatedAt())
                                      .put(
                                          "backup",
                                          Base64.getEncoder().encodeToString(stored.backup())));
                    }));
  }

  /** Deletes the caller's backup. */
  Future<Void> delete(AuthenticatedUser user) {
    return pool.withTransaction(
        tx ->
            store
                .delete(tx, user.userId())
                .compose(
                    size -> {
                      if (size == null) {
                        throw missing();
                      }
                      return audit.record(
                          tx,
                          AuditEvent.by(user)
                              .on("user", user.userId())
                              .with("size", size)
                              .success("key_backup.deleted"));
                    }));
  }

  private static byte[] decode(String base64) {
    byte[] backup;
    try {
      backup = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw ApiException.validation("'backup' must be base64.");
    }
    if (backup.length == 0) {
      throw ApiException.validation("'backup' must not be empty.");
    }
    if (backup.length > MAX_BYTES) {
      throw new ApiException(
          413,
          "key_backup_too_large",
          "The backup has " + backup.length + " bytes; at most " + MAX_BYTES + " are kept.");
    }
    return backup;
  }

  private static JsonObject view(int size, OffsetDateTime updatedAt) {
    return new JsonObject().put("size", size).put("updatedAt", Times.iso(updatedAt));
  }

  private static ApiException missing() {
    return new ApiException(404, "key_backup_missing", "There is no recovery backup.");
  }
}
