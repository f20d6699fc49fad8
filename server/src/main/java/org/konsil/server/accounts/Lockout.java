package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.function.Supplier;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;

/**
 * Slows down and stops guessing at login: per network address, per account (counted in the
 * transaction that holds the account's row lock), and for e-mail addresses without an account,
 * which lock the same way; a wrong guess is answered the later the more failures came before it.
 */
final class Lockout {

  private final Vertx vertx;
  private final Clock clock;
  private final KonsilConfig config;
  private final AuditLog audit;
  private final LoginThrottle addresses;
  private final UnknownAccountLocks unknownAccounts;
  private final AccountStore store;

  Lockout(Vertx vertx, Clock clock, KonsilConfig config, AuditLog audit, AccountStore store) {
    this.vertx = vertx;
    this.clock = clock;
    this.config = config;
    this.audit = audit;
    this.store = store;
    this.addresses = new LoginThrottle(clock, config.addressMaxFailures(), config.addressWindow());
    this.unknownAccounts =
        new UnknownAccountLocks(clock, config.loginMaxFailures(), config.loginLockDuration());
  }

  /**
   * Runs a login step as an attempt of the address: refused while the address is at its limit, with
   * the attempt in the count from its start, and the count kept when it was a wrong guess.
   */
  <T> Future<T> countedForAddress(String address, Supplier<Future<T>> loginStep) {
    long wait = addresses.begin(address);
    if (wait > 0) {
      throw ApiException.rateLimited(
          "rate_limited", "Too many failed logins from your address; try again later.", wait);
    }
    Future<T> answer;
    try {
      answer = loginStep.get();
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    return answer.andThen(result -> addresses.end(address, isWrongGuess(result.cause())));
  }

  private static boolean isWrongGuess(Throwable failure) {
    return failure instanceof ApiException refusal
        && refusal.status() == 401
        && (refusal.code().equals("invalid_credentials")
            || refusal.code().equals("invalid_second_factor"));
  }

  /** Refuses an account that is locked now. */
  void refuseLocked(AccountStore.Credentials user) {
    OffsetDateTime lockedUntil = user.lockedUntil();
    if (lockedUntil != null && lockedUntil.toInstant().isAfter(clock.instant())) {
      throw accountLocked(Duration.between(clock.instant(), lockedUntil.toInstant()).toSeconds());
    }
  }

  /**
   * Counts a wrong guess in the transaction that found it wrong, locking the account at the limit,
   * and audits it; answers the failures counted so far, the one that locked included.
   */
  Future<Integer> countFailure(SqlClient tx, AccountStore.Credentials user, ApiException refusal) {
    OffsetDateTime lockUntil = Times.at(clock.instant().plus(config.loginLockDuration()));
    return store
        .recordFailure(tx, user.id(), config.loginMaxFailures(), lockUntil)
        .compose(
            failures ->
                audit
                    .record(
                        tx,
                        AuditEvent.by(user.id(), user.organisationId())
                            .on("user", user.id())
                            .with("reason", refusal.code())
                            .denied("login"))
                    .map(failures));
  }

  /** Refuses an e-mail address without an account while it is locked. */
  void refuseUnknownLocked(String email) {
    long locked = unknownAccounts.retryAfterSeconds(email);
    if (locked > 0) {
      throw accountLocked(locked);
    }
  }

  /** Counts a wrong guess for an e-mail address without an account, as for one with an account. */
  <T> Future<T> failUnknown(String email, ApiException refusal) {
    int failures = unknownAccounts.recordFailure(email);
    if (failures == 0) {
      throw accountLocked(unknownAccounts.retryAfterSeconds(email));
    }
    return answerLate(failures, refusal);
  }

  /** Answers a wrong guess the later the more failures the account has counted. */
  <T> Future<T> answerLate(int failures, ApiException refusal) {
    long delay = config.loginDelayStep().toMillis() * Math.max(0, failures - 1);
    if (delay <= 0) {
      return Future.failedFuture(refusal);
    }
    return vertx.timer(Math.min(delay, 5_000)).compose(t -> Future.failedFuture(refusal));
  }

  private static ApiException accountLocked(long seconds) {
    return ApiException.rateLimited(
        "account_locked", "Too many failed logins; the account is locked for a while.", seconds);
  }
}
