package org.konsil.server.accounts;

import org.konsil.server.identity.AuthenticatedUser;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Supplier;
import org.bouncycastle.util.encoders.Base32;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.live.LiveEvents;

/**
 * Logging in and out: passwords, second factor, sessions with rotating refresh tokens, short-lived
 * access tokens, WebSocket tickets and set-password links.
 */
public final class AccountService {

  public static final int MIN_PASSWORD_LENGTH = 10;
  public static final int MAX_PASSWORD_LENGTH = 200;
  private static final Duration CHALLENGE_TTL = Duration.ofMinutes(5);
  private static final int RECOVERY_CODES = 10;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final KonsilConfig config;
  private final PasswordHasher hasher;
  private final AccessTokens tokens;
  private final Totp totp;
  private final LoginThrottle throttle;
  private final UnknownAccountLocks unknownAccounts;
  private final LiveEvents live;
  private final AuditLog audit;
  private final AccountStore store = new AccountStore();

  public AccountService(
      Vertx vertx,
      Pool pool,
      Clock clock,
      KonsilConfig config,
      PasswordHasher hasher,
      AccessTokens tokens,
      LiveEvents live,
      AuditLog audit) {
    this.audit = audit;
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.config = config;
    this.hasher = hasher;
    this.tokens = tokens;
    this.totp = new Totp(clock);
    this.throttle = new LoginThrottle(clock, config.addressMaxFailures(), config.addressWindow());
    this.unknownAccounts =
        new UnknownAccountLocks(clock, config.loginMaxFailures(), config.loginLockDuration());
    this.live = live;
  }

  /** Step one of a login. Answers with tokens, or with a challenge for the second factor. */
  public Future<JsonObject> login(String email, String password, String address) {
    return countedForAddress(address, () -> checkPassword(email, password));
  }

  /** Step two of a login with a second factor: a TOTP code or an unused recovery code. */
  public Future<JsonObject> completeSecondFactor(
      String challenge, String code, String recoveryCode, String address) {
    return countedForAddress(address, () -> checkSecondFactor(challenge, code, recoveryCode));
  }

  /**
   * What a checked password or code led to, decided in the transaction that holds the user's row
   * lock: guesses sent at once are counted one after the other and stop at the lock.
   */
  private sealed interface Outcome permits Refused, Challenged, Opened {}

  /** A wrong guess, counted: {@code failures} of the account so far, the lock's included. */
  private record Refused(int failures, ApiException refusal) implements Outcome {}

  private record Challenged(String challenge) implements Outcome {}

  private record Opened(
      UUID userId, UUID organisationId, UUID sessionId, String refreshToken, OffsetDateTime at)
      implements Outcome {}

  private Future<JsonObject> checkPassword(String email, String password) {
    return store
        .credentialsByEmail(pool, email)
        .compose(
            user -> {
              if (user == null || user.passwordHash() == null) {
                return failUnknownAccount(email.toLowerCase(Locale.ROOT), password);
              }
              // Spares the hash while locked; the lock is looked at again under the row lock.
              refuseLocked(user);
              return vertx
                  .executeBlocking(() -> hasher.verify(password, user.passwordHash()))
                  .compose(
                      matches ->
                          pool.withTransaction(
                              tx ->
                                  store
                                      .credentialsById(tx, user.id(), true)
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
    refuseLocked(user);
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
  private Future<JsonObject> failUnknownAccount(String key, String password) {
    long locked = unknownAccounts.retryAfterSeconds(key);
    if (locked > 0) {
      throw accountLocked(locked);
    }
    return vertx
        .executeBlocking(
            () -> {
              hasher.burnTime(password);
              return null;
            })
        .compose(
            nothing -> {
              int failures = unknownAccounts.recordFailure(key);
              if (failures == 0) {
                throw accountLocked(unknownAccounts.retryAfterSeconds(key));
              }
              return answerLate(failures, invalidCredentials());
            });
  }

  private Future<JsonObject> checkSecondFactor(String challenge, String code, String recoveryCode) {
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

  private Future<JsonObject> checkSecondFactor(
      AccessTokens.Claims claims, String code, String recoveryCode) {
    if ((code == null) == (recoveryCode == null)) {
      throw ApiException.validation("Send either 'code' or 'recoveryCode'.");
    }
    return pool.withTransaction(
            tx ->
                store
                    .credentialsById(tx, claims.userId(), true)
                    .compose(
                        user -> {
                          if (user == null) {
                            return Future.succeededFuture(
                                (Outcome) new Refused(1, invalidSecondFactor()));
                          }
                          refuseLocked(user);
                          refuseInactive(user);
                          return useSecondFactor(tx, user, code, recoveryCode)
                              .compose(
                                  accepted ->
                                      accepted
                                          ? startSession(tx, user)
                                          : countFailure(tx, user, invalidSecondFactor()));
                        }))
        .compose(this::answer);
  }

  /** Uses up the code if it is right; answers whether it was. */
  private Future<Boolean> useSecondFactor(
      SqlClient tx, AccountStore.Credentials user, String code, String recoveryCode) {
    if (code != null) {
      long step = totp.matchingStep(user.totpSecret(), code, user.totpLastStep());
      return step < 0
          ? Future.succeededFuture(false)
          : store.useTotpStep(tx, user.id(), step).map(true);
    }
    return store.consumeRecoveryCode(
        tx, user.id(), Secrets.hash(normaliseRecoveryCode(recoveryCode)), Times.now(clock));
  }

  /**
   * Counts a wrong guess in the transaction that found it wrong, locking the account at the limit.
   */
  private Future<Outcome> countFailure(
      SqlClient tx, AccountStore.Credentials user, ApiException refusal) {
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
                    .map(done -> (Outcome) new Refused(failures, refusal)));
  }

  private Future<JsonObject> answer(Outcome outcome) {
    if (outcome instanceof Refused refused) {
      return answerLate(refused.failures(), refused.refusal());
    }
    if (outcome instanceof Challenged challenged) {
      return Future.succeededFuture(
          new JsonObject()
              .put("status", "second_factor_required")
              .put("challenge", challenged.challenge()));
    }
    Opened opened = (Opened) outcome;
    return store
        .activeUser(pool, opened.userId(), opened.sessionId(), opened.at())
        .map(
            active ->
                tokenResponse(
                        opened.userId(),
                        opened.organisationId(),
                        opened.sessionId(),
                        opened.refreshToken())
                    .put("status", "authenticated")
                    .put("user", active.toJson()));
  }

  /** Swaps a refresh token for new tokens; a token used twice ends its whole session. */
  public Future<JsonObject> refresh(String refreshToken) {
    byte[] hash = Secrets.hash(refreshToken);
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
            tx ->
                store
                    .lockRefreshToken(tx, hash)
                    .compose(
                        row -> {
                          if (row == null
                              || row.sessionRevokedAt() != null
                              || !row.sessionExpiresAt().isAfter(now)) {
                            return Future.succeededFuture(RefreshOutcome.INVALID);
                          }
                          if (row.usedAt() != null) {
                            return store
                                .revokeSession(tx, row.sessionId(), now)
                                .map(RefreshOutcome.reused(row.sessionId()));
                          }
                          String next = Secrets.newToken();
                          return store
                              .markRefreshTokenUsed(tx, hash, now)
                              .compose(
                                  done ->
                                      store.insertRefreshToken(
                                          tx, Secrets.hash(next), row.sessionId(), now))
                              .map(done -> RefreshOutcome.rotated(row, next));
                        }))
        .compose(
            outcome -> {
              if (outcome.reusedSession() != null) {
                live.sessionRevoked(outcome.reusedSession());
                throw new ApiException(
                    401,
                    "refresh_token_reused",
                    "This refresh token was used before; the session has been ended. Log in again.");
              }
              if (outcome.row() == null) {
                throw new ApiException(
                    401, "invalid_refresh_token", "The session has ended. Log in again.");
              }
              AccountStore.RefreshTokenRow row = outcome.row();
              return store
                  .activeUser(pool, row.userId(), row.sessionId(), now)
                  .map(
                      user -> {
                        if (user == null) {
                          throw new ApiException(
                              401, "invalid_refresh_token", "The session has ended. Log in again.");
                        }
                        return tokenResponse(
                                user.userId(),
                                user.organisationId(),
                                row.sessionId(),
                                outcome.nextToken())
                            .put("status", "authenticated")
                            .put("user", user.toJson());
                      });
            });
  }

  private record RefreshOutcome(
      AccountStore.RefreshTokenRow row, String nextToken, UUID reusedSession) {
    static final RefreshOutcome INVALID = new RefreshOutcome(null, null, null);

    static RefreshOutcome rotated(AccountStore.RefreshTokenRow row, String next) {
      return new RefreshOutcome(row, next, null);
    }

    static RefreshOutcome reused(UUID session) {
      return new RefreshOutcome(null, null, session);
    }
  }

  public Future<Void> logout(AuthenticatedUser user) {
    return store
        .revokeSession(pool, user.sessionId(), Times.now(clock))
        .onSuccess(done -> live.sessionRevoked(user.sessionId()));
  }

  /** The user behind a bearer access token, checked against the database on every call. */
  public Future<AuthenticatedUser> authenticate(String accessToken) {
    return tokens
        .verify(accessToken, AccessTokens.Purpose.ACCESS)
        .recover(
            refused ->
                Future.failedFuture(
                    new ApiException(
                        401, "invalid_token", "The access token is invalid or has expired.")))
        .compose(
            claims ->
                store.activeUser(pool, claims.userId(), claims.sessionId(), Times.now(clock)))
        .map(
            user -> {
              if (user == null) {
                throw new ApiException(
                    401, "invalid_token", "The session has ended or the account is disabled.");
              }
              return user;
            });
  }

  /** A single-use ticket for opening a WebSocket, so that no token appears in a URL. */
  public Future<JsonObject> issueWsTicket(AuthenticatedUser user) {
    String ticket = Secrets.newToken();
    OffsetDateTime expiresAt = Times.at(clock.instant().plus(config.wsTicketTtl()));
    return store
        .insertWsTicket(pool, Secrets.hash(ticket), user.userId(), user.sessionId(), expiresAt)
        .map(done -> new JsonObject().put("ticket", ticket).put("expiresAt", Times.iso(expiresAt)));
  }

  public Future<AuthenticatedUser> redeemWsTicket(String ticket) {
    OffsetDateTime now = Times.now(clock);
    return store
        .consumeWsTicket(pool, Secrets.hash(ticket), now)
        .compose(
            row ->
                row == null
                    ? Future.succeededFuture(null)
                    : store.activeUser(
                        pool, row.getUUID("user_id"), row.getUUID("session_id"), now))
        .map(
            user -> {
              if (user == null) {
                throw new ApiException(
                    401, "invalid_ticket", "The ticket is unknown, used or expired.");
              }
              return user;
            });
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

  /** Checks the password rules and hashes the password, off the event loop. */
  public Future<String> hashPassword(String password) {
    checkPasswordRules(password);
    return vertx.executeBlocking(() -> hasher.hash(password));
  }

  /**
   * Gives a user a password (hashed before) in the caller's transaction; pending becomes active.
   */
  public Future<Void> setPasswordHash(SqlClient tx, UUID userId, String passwordHash) {
    return store.setPassword(tx, userId, passwordHash);
  }

  /** Ends every session of a user inside the caller's transaction. */
  public Future<Void> endAllSessions(SqlClient tx, UUID userId) {
    return store.revokeAllSessions(tx, userId, Times.now(clock)).mapEmpty();
  }

  /** Sets a password with a link's token; every earlier session of the user ends. */
  public Future<Void> setPassword(String token, String password) {
    checkPasswordRules(password);
    OffsetDateTime now = Times.now(clock);
    byte[] tokenHash = Secrets.hash(token);
    // The token is checked before the expensive hash, so that made-up tokens cost the public route
    // little; it is used up atomically in the transaction below.
    return store
        .passwordTokenUsable(pool, tokenHash, now)
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

  /** The user's own switch for e-mail notifications of unread messages. */
  public Future<JsonObject> setNotifyByEmail(AuthenticatedUser user, boolean on) {
    return store
        .setNotifyByEmail(pool, user.userId(), on)
        .map(done -> user.toJson().put("notifyByEmail", on));
  }

  /** Starts enrolling an authenticator app: a new secret, shown once as text and as a URI. */
  public Future<JsonObject> startSecondFactor(AuthenticatedUser user) {
    if (user.secondFactorEnabled()) {
      throw ApiException.conflict(
          "second_factor_already_enabled", "A second factor is already set up for you.");
    }
    String secret = Totp.newSecret();
    return store
        .startTotpEnrolment(pool, user.userId(), secret)
        .map(
            done ->
                new JsonObject()
                    .put("secret", secret)
                    .put("otpauthUri", Totp.otpauthUri(secret, user.email(), "Konsil")));
  }

  /** Finishes the enrolment with a first code from the app; answers the recovery codes, once. */
  public Future<JsonObject> confirmSecondFactor(AuthenticatedUser user, String code) {
    if (user.secondFactorEnabled()) {
      throw ApiException.conflict(
          "second_factor_already_enabled", "A second factor is already set up for you.");
    }
    List<String> codes = new ArrayList<>();
    List<byte[]> hashes = new ArrayList<>();
    for (int i = 0; i < RECOVERY_CODES; i++) {
      String recovery = newRecoveryCode();
      codes.add(recovery);
      hashes.add(Secrets.hash(normaliseRecoveryCode(recovery)));
    }
    return pool.withTransaction(
        tx ->
            store
                .credentialsById(tx, user.userId(), true)
                .compose(
                    credentials -> {
                      if (credentials.totpSecret() == null) {
                        throw ApiException.conflict(
                            "second_factor_not_started", "Start the set-up first.");
                      }
                      long step = totp.matchingStep(credentials.totpSecret(), code, 0);
                      if (step < 0) {
                        throw new ApiException(
                            422,
                            "invalid_second_factor",
                            "The code does not match; try the next one.");
                      }
                      return store
                          .enableTotp(tx, user.userId(), step)
                          .compose(done -> store.replaceRecoveryCodes(tx, user.userId(), hashes))
                          .map(done -> new JsonObject().put("recoveryCodes", new JsonArray(codes)));
                    }));
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

  /**
   * Opens a session in the transaction that holds the user's row lock, clearing the failures
   * counted so far.
   */
  private Future<Outcome> startSession(SqlClient tx, AccountStore.Credentials user) {
    UUID sessionId = UUID.randomUUID();
    String refreshToken = Secrets.newToken();
    OffsetDateTime now = Times.now(clock);
    OffsetDateTime expiresAt = Times.at(clock.instant().plus(config.sessionTtl()));
    return store
        .clearFailures(tx, user.id())
        .compose(done -> store.createSession(tx, sessionId, user.id(), now, expiresAt))
        .compose(done -> store.insertRefreshToken(tx, Secrets.hash(refreshToken), sessionId, now))
        .compose(
            done ->
                audit.record(
                    tx,
                    AuditEvent.by(user.id(), user.organisationId())
                        .on("session", sessionId)
                        .success("login")))
        .map(
            done ->
                (Outcome)
                    new Opened(user.id(), user.organisationId(), sessionId, refreshToken, now));
  }

  private JsonObject tokenResponse(
      UUID userId, UUID organisationId, UUID sessionId, String refreshToken) {
    String access =
        tokens.issue(
            new AccessTokens.Claims(userId, sessionId, organisationId, AccessTokens.Purpose.ACCESS),
            config.accessTokenTtl());
    return new JsonObject()
        .put("accessToken", access)
        .put("tokenType", "Bearer")
        .put("expiresIn", config.accessTokenTtl().toSeconds())
        .put("refreshToken", refreshToken);
  }

  /**
   * Runs a login step as an attempt of the address: refused while the address is at its limit, with
   * the attempt in the count from its start, and the count kept when it was a wrong guess.
   */
  private Future<JsonObject> countedForAddress(
      String address, Supplier<Future<JsonObject>> loginStep) {
    long wait = throttle.begin(address);
    if (wait > 0) {
      throw ApiException.rateLimited(
          "rate_limited", "Too many failed logins from your address; try again later.", wait);
    }
    Future<JsonObject> answer;
    try {
      answer = loginStep.get();
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    return answer.andThen(result -> throttle.end(address, isWrongGuess(result.cause())));
  }

  private static boolean isWrongGuess(Throwable failure) {
    return failure instanceof ApiException refusal
        && refusal.status() == 401
        && (refusal.code().equals("invalid_credentials")
            || refusal.code().equals("invalid_second_factor"));
  }

  private void refuseLocked(AccountStore.Credentials user) {
    OffsetDateTime lockedUntil = user.lockedUntil();
    if (lockedUntil != null && lockedUntil.toInstant().isAfter(clock.instant())) {
      throw accountLocked(Duration.between(clock.instant(), lockedUntil.toInstant()).toSeconds());
    }
  }

  private static ApiException accountLocked(long seconds) {
    return ApiException.rateLimited(
        "account_locked", "Too many failed logins; the account is locked for a while.", seconds);
  }

  private static ApiException invalidCredentials() {
    return new ApiException(401, "invalid_credentials", "E-mail address or password is wrong.");
  }

  private static void refuseInactive(AccountStore.Credentials user) {
    if (!"active".equals(user.status()) || !"active".equals(user.organisationStatus())) {
      throw ApiException.forbidden(
          "account_disabled", "This account or its organisation is not active.");
    }
  }

  private static ApiException invalidSecondFactor() {
    return new ApiException(
        401, "invalid_second_factor", "The code is wrong or has been used already.");
  }

  /** Answers a wrong guess the later the more failures the account has counted. */
  private <T> Future<T> answerLate(int failures, ApiException refusal) {
    long delay = config.loginDelayStep().toMillis() * Math.max(0, failures - 1);
    if (delay <= 0) {
      return Future.failedFuture(refusal);
    }
    return vertx.timer(Math.min(delay, 5_000)).compose(t -> Future.failedFuture(refusal));
  }

  private static String newRecoveryCode() {
    String raw =
        Base32.toBase32String(Secrets.randomBytes(20)).replace("=", "").toLowerCase(Locale.ROOT);
    StringBuilder grouped = new StringBuilder();
    for (int i = 0; i < 30; i += 5) {
      if (i > 0) {
        grouped.append('-');
      }
      grouped.append(raw, i, i + 5);
    }
    return grouped.toString();
  }

  private static String normaliseRecoveryCode(String code) {
    return code.replace("-", "").replace(" ", "").toLowerCase(Locale.ROOT);
  }
}
