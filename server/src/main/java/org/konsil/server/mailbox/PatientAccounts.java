package org.konsil.server.mailbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.konsil.server.accounts.LoginThrottle;
import org.konsil.server.accounts.PasswordHasher;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.accounts.UnknownAccountLocks;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.patients.PatientService;

/**
 * Patients' mailbox accounts: the invitation by e-mail, registration with the browser's keys, the
 * login with the derived login secret (throttled like staff logins), patient sessions (opaque
 * tokens of their own, never valid on staff routes), blocking the practice and closing.
 */
public final class PatientAccounts {

  /** The lowest PBKDF2-HMAC-SHA-256 count the browser may choose (docs/patient-mailbox.md). */
  public static final int MIN_ITERATIONS = 600_000;

  private static final Duration LINK_TTL = Duration.ofHours(72);
  private static final String TOKEN_PREFIX = "mbx_";

  /** A session opened by registration or login. */
  public record Opened(String token, OffsetDateTime expiresAt, MailboxAccount account) {}

  /** What the browser needs before registration: whom it is for, and the salt. */
  public record RegistrationLink(MailboxAccount account) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final KonsilConfig config;
  private final PatientService patients;
  private final MailOutbox mail;
  private final AuditLog audit;
  private final PasswordHasher hasher;
  private final MailboxKeys keys;
  private final LoginThrottle addresses;
  private final UnknownAccountLocks unknownAccounts;
  private final byte[] preloginKey;
  private final MailboxStore store = new MailboxStore();

  public PatientAccounts(
      Vertx vertx,
      Pool pool,
      Clock clock,
      KonsilConfig config,
      PatientService patients,
      MailOutbox mail,
      AuditLog audit,
      MailboxKeys keys,
      byte[] installationSecret) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.config = config;
    this.patients = patients;
    this.mail = mail;
    this.audit = audit;
    this.keys = keys;
    this.hasher = new PasswordHasher(config.argon2MemoryKib(), config.argon2Iterations());
    this.addresses = new LoginThrottle(clock, config.addressMaxFailures(), config.addressWindow());
    this.unknownAccounts =
        new UnknownAccountLocks(clock, config.loginMaxFailures(), config.loginLockDuration());
    this.preloginKey = hmac(installationSecret, "konsil-mailbox-v1 prelogin");
  }

  // the practice's side

  /** The patient's mailbox as the practice sees it, or null when none was opened. */
  public Future<MailboxAccount> view(AuthenticatedUser user, UUID patientId) {
    return patients
        .ownPatient(user, patientId)
        .compose(patient -> store.accountByPatient(pool, patientId));
  }

  /**
   * Invites the patient by e-mail (a new link for an invited or closed mailbox); the mail carries
   * the practice's name and a link, nothing else. Without an address given, the one on the patient
   * record.
   */
  public Future<MailboxAccount> invite(AuthenticatedUser user, UUID patientId, String email) {
    String[] address = {email};
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient -> {
              if (address[0] == null) {
                // the address on the patient record, where the form sent none
                address[0] = patient.email();
              }
              if (address[0] == null || address[0].isBlank()) {
                throw ApiException.conflict(
                    "mailbox_email_missing",
                    "The patient has no e-mail address; enter one for the invitation.");
              }
              return keys.requirePracticeKey(user.organisationId());
            })
        .compose(
            practiceKey ->
                pool.withTransaction(
                    tx ->
                        store
                            .accountByPatient(tx, patientId)
                            .compose(
                                existing ->
                                    invite(
                                        tx,
                                        user,
                                        patientId,
                                        address[0].toLowerCase(java.util.Locale.ROOT),
                                        existing))))
        .recover(
            failure ->
                Future.failedFuture(
                    failure instanceof PgException pg && "23505".equals(pg.getSqlState())
                        ? ApiException.conflict(
                            "mailbox_email_taken",
                            "Another patient's mailbox at your practice uses this e-mail address.")
                        : failure))
        .compose(id -> store.accountById(pool, id));
  }

  private Future<UUID> invite(
      SqlClient tx, AuthenticatedUser user, UUID patientId, String email, MailboxAccount existing) {
    if (existing != null && (existing.active() || "blocked".equals(existing.status()))) {
      throw ApiException.conflict(
          "mailbox_exists", "The patient has registered a mailbox already.");
    }
    String token = Secrets.newToken();
    byte[] salt = Secrets.randomBytes(16);
    OffsetDateTime now = Times.now(clock);
    OffsetDateTime expires = Times.at(clock.instant().plus(LINK_TTL));
    UUID id = existing == null ? UUID.randomUUID() : existing.id();
    Future<Void> stored =
        existing == null
            ? store.insertAccount(
                tx,
                id,
                user.organisationId(),
                patientId,
                email,
                Secrets.hash(token),
                expires,
                salt,
                user.userId(),
                now)
            : store
                .setStatus(tx, id, "invited", "created_at", now)
                .compose(
                    done ->
                        store.renewInvitation(tx, id, email, Secrets.hash(token), expires, salt));
    String link = config.publicUrl() + "/mailbox#register=" + token;
    String practice = user.organisationName();
    return stored
        .compose(
            done ->
                mail.enqueue(
                    tx,
                    new MailMessage(
                        email,
                        practice + ": Ihr Patientenpostfach / your patient mailbox",
                        """
                        %s lädt Sie zu seinem sicheren Patientenpostfach ein.
                        Legen Sie hier Ihr Passwort fest (der Link gilt 72 Stunden):

                        %s invites you to its secure patient mailbox.
                        Set your password here (the link is valid for 72 hours):

                        %s
                        """
                            .formatted(practice, practice, link))))
        .compose(
            done ->
                audit.record(
                    tx,
                    AuditEvent.by(user)
                        .on("mailbox", id)
                        .with("patientId", patientId)
                        .success("mailbox.invited")))
        .map(id);
  }

  // registration and login

  public Future<MailboxAccount> registrationLink(String token) {
    return store
        .accountByRegistration(pool, Secrets.hash(token))
        .map(
            account -> {
              if (account == null
                  || !"invited".equals(account.status())
                  || !account.registrationExpiresAt().toInstant().isAfter(clock.instant())) {
                throw linkInvalid();
              }
              return account;
            });
  }

  public Future<Opened> register(
      String token,
      byte[] loginSecret,
      int iterations,
      byte[] x25519Public,
      byte[] ed25519Public,
      byte[] wrappedPrivate) {
    if (iterations < MIN_ITERATIONS || iterations > 100_000_000) {
      throw ApiException.validation(
          "'iterations' must be at least " + MIN_ITERATIONS + " (PBKDF2-HMAC-SHA-256).");
    }
    return registrationLink(token)
        .compose(
            account ->
                vertx
                    .executeBlocking(() -> hasher.hash(b64(loginSecret)))
                    .compose(
                        loginHash ->
                            pool.withTransaction(
                                tx ->
                                    store
                                        .lockAccount(tx, account.id())
                                        .compose(
                                            current -> {
                                              if (current == null
                                                  || !"invited".equals(current.status())) {
                                                throw linkInvalid();
                                              }
                                              return store.register(
                                                  tx,
                                                  account.id(),
                                                  iterations,
                                                  loginHash,
                                                  x25519Public,
                                                  ed25519Public,
                                                  wrappedPrivate,
                                                  Times.now(clock));
                                            })
                                        .compose(
                                            done ->
                                                audit.record(
                                                    tx,
                                                    patientEvent(account)
                                                        .success("mailbox.registered")))
                                        .compose(done -> openSession(tx, account.id())))));
  }

  /**
   * The salt and iteration count to derive the login secret with. An address without a mailbox gets
   * a salt that looks the same and stays the same, so that this does not tell who has one.
   */
  public Future<MailboxAccount> prelogin(UUID organisationId, String email) {
    return store
        .accountByLogin(pool, organisationId, email)
        .map(
            account -> {
              if (account != null && account.loginHash() != null) {
                return account;
              }
              byte[] salt =
                  Arrays.copyOf(
                      hmac(preloginKey, organisationId + "|" + email.toLowerCase(Locale.ROOT)), 16);
              return new MailboxAccount(
                  null,
                  organisationId,
                  null,
                  null,
                  email,
                  "unknown",
                  salt,
                  MIN_ITERATIONS,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null);
            });
  }

  public Future<Opened> login(
      UUID organisationId, String email, byte[] loginSecret, String address) {
    return countedForAddress(
        address,
        () -> checkLogin(organisationId, email.toLowerCase(Locale.ROOT), b64(loginSecret)));
  }

  /**
   * Runs a guess (a login secret, a recovery code) as an attempt of the network address: refused
   * while the address is at its limit, counted when it was wrong.
   */
  <T> Future<T> countedForAddress(String address, java.util.function.Supplier<Future<T>> guess) {
    long wait = addresses.begin(address);
    if (wait > 0) {
      throw ApiException.rateLimited(
          "rate_limited", "Too many failed logins from your address; try again later.", wait);
    }
    Future<T> answer;
    try {
      answer = guess.get();
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    return answer.andThen(
        result ->
            addresses.end(
                address,
                result.cause() instanceof ApiException refusal
                    && (refusal.code().equals("invalid_credentials")
                        || refusal.code().equals("invalid_recovery_code"))));
  }

  /** An address without a mailbox fails and locks like one with a mailbox. */
  <T> Future<T> failUnknown(
      UUID organisationId, String email, String secret, ApiException refusal) {
    String key = organisationId + "|" + email;
    refuseLocked(unknownAccounts.retryAfterSeconds(key));
    return vertx
        .executeBlocking(
            () -> {
              hasher.burnTime(secret);
              return null;
            })
        .compose(
            nothing -> {
              if (unknownAccounts.recordFailure(key) == 0) {
                refuseLocked(unknownAccounts.retryAfterSeconds(key));
              }
              return Future.failedFuture(refusal);
            });
  }

  PasswordHasher hasher() {
    return hasher;
  }

  private Future<Opened> checkLogin(UUID organisationId, String email, String secret) {
    return store
        .accountByLogin(pool, organisationId, email)
        .compose(
            account -> {
              if (account == null || account.loginHash() == null) {
                return failUnknown(organisationId, email, secret, invalidCredentials());
              }
              refuseLocked(account);
              return vertx
                  .executeBlocking(() -> hasher.verify(secret, account.loginHash()))
                  .compose(
                      matches ->
                          pool.withTransaction(
                              tx ->
                                  store
                                      .lockAccount(tx, account.id())
                                      .compose(
                                          current -> {
                                            refuseLocked(current);
                                            if (!matches
                                                || !account
                                                    .loginHash()
                                                    .equals(current.loginHash())) {
                                              return countFailure(tx, current).map((Opened) null);
                                            }
                                            return store
                                                .clearFailures(tx, current.id())
                                                .compose(
                                                    done ->
                                                        audit.record(
                                                            tx,
                                                            patientEvent(current)
                                                                .success("mailbox.login")))
                                                .compose(done -> openSession(tx, current.id()));
                                          })))
                  .compose(
                      opened ->
                          opened == null
                              ? Future.failedFuture(invalidCredentials())
                              : Future.succeededFuture(opened));
            });
  }

  Future<Void> countFailure(SqlClient tx, MailboxAccount account) {
    OffsetDateTime lockUntil = Times.at(clock.instant().plus(config.loginLockDuration()));
    return store
        .recordFailure(tx, account.id(), config.loginMaxFailures(), lockUntil)
        .compose(
            failures ->
                audit.record(
                    tx,
                    patientEvent(account)
                        .with("reason", "invalid_credentials")
                        .denied("mailbox.login")));
  }

  void refuseLocked(MailboxAccount account) {
    OffsetDateTime lockedUntil = account == null ? null : account.lockedUntil();
    if (lockedUntil != null && lockedUntil.toInstant().isAfter(clock.instant())) {
      refuseLocked(Duration.between(clock.instant(), lockedUntil.toInstant()).toSeconds());
    }
  }

  private static void refuseLocked(long seconds) {
    if (seconds > 0) {
      throw ApiException.rateLimited(
          "account_locked", "Too many failed logins; the mailbox is locked for a while.", seconds);
    }
  }

  Future<Opened> openSession(SqlClient tx, UUID accountId) {
    String token = TOKEN_PREFIX + Secrets.newToken();
    OffsetDateTime expires = Times.at(clock.instant().plus(config.sessionTtl()));
    return store
        .insertSession(tx, Secrets.hash(token), accountId, Times.now(clock), expires)
        .compose(done -> store.accountById(tx, accountId))
        .map(account -> new Opened(token, expires, account));
  }

  // the patient's session

  /** The mailbox of a live patient session; 401 for anything else, staff tokens included. */
  public Future<MailboxAccount> authenticate(String token) {
    if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > 100) {
      return Future.failedFuture(invalidToken());
    }
    return store
        .accountBySession(pool, Secrets.hash(token), Times.now(clock))
        .map(
            account -> {
              if (account == null) {
                throw invalidToken();
              }
              return account;
            });
  }

  public Future<Void> logout(String token) {
    return store.endSession(pool, Secrets.hash(token));
  }

  /** The patient blocks the practice (no new messages from it) or lifts the block. */
  public Future<MailboxAccount> setBlocked(MailboxAccount account, boolean blocked) {
    return pool.withTransaction(
            tx ->
                store
                    .lockAccount(tx, account.id())
                    .compose(
                        current ->
                            store
                                .setStatus(
                                    tx,
                                    current.id(),
                                    blocked ? "blocked" : "active",
                                    "blocked_at",
                                    blocked ? Times.now(clock) : null)
                                .compose(
                                    done ->
                                        audit.record(
                                            tx,
                                            patientEvent(current)
                                                .success(
                                                    blocked
                                                        ? "mailbox.practice_blocked"
                                                        : "mailbox.practice_unblocked")))))
        .compose(done -> store.accountById(pool, account.id()));
  }

  /** Closes the mailbox for good: keys, login and sessions go; the practice keeps its copies. */
  public Future<Void> close(MailboxAccount account) {
    return pool.withTransaction(
        tx ->
            store
                .lockAccount(tx, account.id())
                .compose(current -> store.close(tx, current.id(), Times.now(clock)))
                .compose(done -> store.useResetTokens(tx, account.id(), Times.now(clock)))
                .compose(
                    done -> audit.record(tx, patientEvent(account).success("mailbox.closed"))));
  }

  Future<MailboxAccount> accountByLogin(UUID organisationId, String email) {
    return store.accountByLogin(pool, organisationId, email.toLowerCase(Locale.ROOT));
  }

  static AuditEvent.Builder patientEvent(MailboxAccount account) {
    return AuditEvent.by(null, null)
        .forOrganisation(account.organisationId())
        .on("mailbox", account.id())
        .with("actor", "patient");
  }

  private static ApiException linkInvalid() {
    return new ApiException(
        404,
        "mailbox_link_invalid",
        "This registration link is unknown, used or expired; ask the practice for a new one.");
  }

  private static ApiException invalidCredentials() {
    return new ApiException(401, "invalid_credentials", "E-mail address or password is wrong.");
  }

  private static ApiException invalidToken() {
    return new ApiException(401, "invalid_token", "Log in to your mailbox again.");
  }

  private static String b64(byte[] bytes) {
    return java.util.Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] hmac(byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
    }
  }
}
