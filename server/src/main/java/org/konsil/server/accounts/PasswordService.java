package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.live.LiveEvents;

/**
 * Passwords: their rules, hashing them off the event loop, set-password links (also the reset) and
 * setting a password with one.
 */
public final class PasswordService {

  public static final int MIN_PASSWORD_LENGTH = 10;
  public static final int MAX_PASSWORD_LENGTH = 200;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final KonsilConfig config;
  private final PasswordHasher hasher;
  private final LiveEvents live;
  private final AccountStore store;

  public PasswordService(
      Vertx vertx,
      Pool pool,
      Clock clock,
      KonsilConfig config,
      PasswordHasher hasher,
      LiveEvents live) {
    this.vertx = vertx;
    this.pool = pool;
    this.store = new AccountStore(pool);
    this.clock = clock;
    this.config = config;
    this.hasher = hasher;
    this.live = live;
  }

  public static void checkPasswordRules(String password) {
    if (password == null
        || password.length() < MIN_PASSWORD_LENGTH
        || password.length() > MAX_PASSWORD_LENGTH) {
      throw new ApiException(
          422,
          "weak_password",
          "A password needs between "
              + MIN_PASSWORD_LENGTH
              + " and "
              + MAX_PASSWORD_LENGTH
              + " characters.");
    }
  }

  /** Checks the password rules and hashes the password, off the event loop. */
  public Future<String> hashPassword(String password) {
    checkPasswordRules(password);
    return vertx.executeBlocking(() -> hasher.hash(password));
  }

  /** Whether the password matches the stored hash, checked off the event loop. */
  Future<Boolean> matches(String password, String passwordHash) {
    return vertx.executeBlocking(() -> hasher.verify(password, passwordHash));
  }

  /** Takes as long as checking a password, for a login that has no hash to check it against. */
  Future<Void> burnTime(String password) {
    return vertx.executeBlocking(
        () -> {
          hasher.burnTime(password);
          return null;
        });
  }

  /**
   * Gives a user a password (hashed before) in the caller's transaction; pending becomes active.
   */
  public Future<Void> setPasswordHash(SqlClient tx, UUID userId, String passwordHash) {
    return store.setPassword(tx, userId, passwordHash);
  }

  /**
   * Creates a set-password token for a user inside the caller's transaction and returns the link
   * that carries it. Earlier links of the user stop working.
   */
  public Future<String> issuePasswordLink(SqlClient tx, UUID userId) {
    String token = Secrets.newToken();
    OffsetDateTime expiresAt = Times.at(clock.instant().plus(config.passwordLinkTtl()));
    return store
        .retirePasswordTokens(tx, userId, Times.now(clock))
        .compose(done -> store.insertPasswordToken(tx, Secrets.hash(token), userId, expiresAt))
        .map(done -> config.publicUrl() + "/set-password#token=" + token);
  }

  /** Sets a password with a link's token; every earlier session of the user ends. */
  public Future<Void> setPassword(String token, String password) {
    checkPasswordRules(password);
    OffsetDateTime now = Times.now(clock);
    byte[] tokenHash = Secrets.hash(token);
    // The token is checked before the expensive hash, so that made-up tokens cost the public route
    // little; it is used up atomically in the transaction below.
    return store
        .passwordTokenUsable(tokenHash, now)
        .compose(
            usable -> {
              if (!usable) {
                throw invalidPasswordToken();
              }
              return vertx.executeBlocking(() -> hasher.hash(password));
            })
        .compose(
            hash ->
                pool.withTransaction(
                    tx ->
                        store
                            .consumePasswordToken(tx, tokenHash, now)
                            .compose(
                                userId -> {
                                  if (userId == null) {
                                    throw invalidPasswordToken();
                                  }
                                  return store
                                      .setPassword(tx, userId, hash)
                                      .compose(done -> store.retirePasswordTokens(tx, userId, now))
                                      .compose(done -> store.revokeAllSessions(tx, userId, now));
                                })))
        // Only the sessions ended here close their sockets, not one opened a moment later.
        .onSuccess(sessions -> sessions.forEach(live::sessionRevoked))
        .mapEmpty();
  }

  private static ApiException invalidPasswordToken() {
    return new ApiException(
        410,
        "invalid_password_token",
        "The link is unknown, used or expired. Ask your administrator for a new one.");
  }
}
