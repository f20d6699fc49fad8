package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;

/**
 * Logging in: the password, then the second factor where one is enrolled, each guess counted
 * towards the lock; a complete login opens a session.
 */
public final class LoginService {

  private static final Duration CHALLENGE_TTL = Duration.ofMinutes(5);

  private final Pool pool;
  private final AccessTokens tokens;
  private final PasswordService passwords;
  private final SecondFactorService secondFactors;
  private final SessionService sessions;
  private final Lockout lockout;
  private final AccountStore store;

  public LoginService(
      Vertx vertx,
      Pool pool,
      Clock clock,
      KonsilConfig config,
      AccessTokens tokens,
      PasswordService passwords,
      SecondFactorService secondFactors,
      SessionService sessions,
      AuditLog audit) {
    this.pool = pool;
    this.store = new AccountStore(pool);
    this.tokens = tokens;
    this.passwords = passwords;
    this.secondFactors = secondFactors;
    this.sessions = sessions;
    this.lockout = new Lockout(vertx, clock, config, audit, store);
  }

  /** Step one of a login. Answers with tokens, or with a challenge for the second factor. */
  public Future<LoginResult> login(String email, String password, String address) {
    return lockout.countedForAddress(address, () -> checkPassword(email, password));
  }

  /** Step two of a login with a second factor: a TOTP code or an unused recovery code. */
  public Future<LoginResult> completeSecondFactor(
      String challenge, String code, String recoveryCode, String address) {
    return lockout.countedForAddress(
        address, () -> checkSecondFactor(challenge, code, recoveryCode));
  }

  /**
   * What a checked password or code led to, decided in the transaction that holds the user's row
   * lock: guesses sent at once are counted one after the other and stop at the lock.
   */
  private sealed interface Outcome permits Refused, Challenged, Opened {}

  /** A wrong guess, counted: {@code failures} of the account so far, the lock's included. */
  private record Refused(int failures, ApiException refusal) implements Outcome {}

  private record Challenged(String challenge) implements Outcome {}

  private record Opened(SessionService.Opened session) implements Outcome {}

  private Future<LoginResult> checkPassword(String email, String password) {
    return store
        .credentialsByEmail(email)
        .compose(
            user -> {
              if (user == null || user.passwordHash() == null) {
                return failUnknownAccount(email.toLowerCase(Locale.ROOT), password);
              }
              // Spares the hash while locked; the lock is looked at again under the row lock.
              lockout.refuseLocked(user);
              return passwords
                  .matches(password, user.passwordHash())
                  .compose(
                      matches ->
                          pool.withTransaction(
                              tx ->
                                  store
                                      .lockCredentials(tx, user.id())
                                      .compose(
                                          current ->
                                              afterPasswordCheck(
                                                  tx, current, matches, user.passwordHash()))))
                  .compose(this::answer);
            });
  }

  /**
   * Decides under the row lock: a guess that comes in after the lock answers 429 whether it was
   * right or wrong, and a password checked against a hash that has changed since counts as wrong.
   */
  private Future<Outcome> afterPasswordCheck(
      SqlClient tx, AccountStore.Credentials user, boolean matches, String checkedHash) {
    if (user == null) {
      return Future.succeededFuture(new Refused(1, invalidCredentials()));
    }
    lockout.refuseLocked(user);
    if (!matches || !checkedHash.equals(user.passwordHash())) {
      return countFailure(tx, user, invalidCredentials());
    }
    refuseInactive(user);
    // The count of failures is cleared only by a complete login, so that wrong second-factor codes
    // after a right password add up to the lock.
    if (user.totpEnabled()) {
      String challenge =
          tokens.issue(
              new AccessTokens.Claims(
                  user.id(), null, user.organisationId(), AccessTokens.Purpose.SECOND_FACTOR),
              CHALLENGE_TTL);
      return Future.succeededFuture(new Challenged(challenge));
    }
    return startSession(tx, user);
  }

  /** An e-mail address without an account fails and locks like one with an account. */
  private Future<LoginResult> failUnknownAccount(String email, String password) {
    lockout.refuseUnknownLocked(email);
    return passwords
        .burnTime(password)
        .compose(nothing -> lockout.failUnknown(email, invalidCredentials()));
  }

  private Future<LoginResult> checkSecondFactor(
      String challenge, String code, String recoveryCode) {
    return tokens
        .verify(challenge, AccessTokens.Purpose.SECOND_FACTOR)
        .recover(
            refused ->
                Future.failedFuture(
                    new ApiException(
                        401,
                        "invalid_challenge",
                        "The login step has expired; log in again with your password.")))
        .compose(claims -> checkSecondFactor(claims, code, recoveryCode));
  }

  private Future<LoginResult> checkSecondFactor(
      AccessTokens.Claims claims, String code, String recoveryCode) {
    if ((code == null) == (recoveryCode == null)) {
      throw ApiException.validation("Send either 'code' or 'recoveryCode'.");
    }
    return pool.withTransaction(
            tx ->
                store
                    .lockCredentials(tx, claims.userId())
                    .compose(
                        user -> {
                          if (user == null) {
                            return Future.succeededFuture(
                                (Outcome) new Refused(1, invalidSecondFactor()));
                          }
                          lockout.refuseLocked(user);
                          refuseInactive(user);
                          return secondFactors
                              .use(tx, user, code, recoveryCode)
                              .compose(
                                  accepted ->
                                      accepted
                                          ? startSession(tx, user)
                                          : countFailure(tx, user, invalidSecondFactor()));
                        }))
        .compose(this::answer);
  }

  private Future<Outcome> countFailure(
      SqlClient tx, AccountStore.Credentials user, ApiException refusal) {
    return lockout
        .countFailure(tx, user, refusal)
        .map(failures -> (Outcome) new Refused(failures, refusal));
  }

  /**
   * Opens a session in the transaction that holds the user's row lock, clearing the failures
   * counted so far.
   */
  private Future<Outcome> startSession(SqlClient tx, AccountStore.Credentials user) {
    return store
        .clearFailures(tx, user.id())
        .compose(done -> sessions.open(tx, user.id(), user.organisationId()))
        .map(opened -> (Outcome) new Opened(opened));
  }

  private Future<LoginResult> answer(Outcome outcome) {
    if (outcome instanceof Refused refused) {
      return lockout.answerLate(refused.failures(), refused.refusal());
    }
    if (outcome instanceof Challenged challenged) {
      return Future.succeededFuture(new LoginResult.SecondFactorRequired(challenged.challenge()));
    }
    return sessions.tokensOf(((Opened) outcome).session()).map(LoginResult.class::cast);
  }

  private static void refuseInactive(AccountStore.Credentials user) {
    if (!"active".equals(user.status()) || !"active".equals(user.organisationStatus())) {
      throw ApiException.forbidden(
          "account_disabled", "This account or its organisation is not active.");
    }
  }

  private static ApiException invalidCredentials() {
    return new ApiException(401, "invalid_credentials", "E-mail address or password is wrong.");
  }

  private static ApiException invalidSecondFactor() {
    return new ApiException(
        401, "invalid_second_factor", "The code is wrong or has been used already.");
  }
}
