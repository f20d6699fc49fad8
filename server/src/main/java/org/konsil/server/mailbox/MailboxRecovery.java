package org.konsil.server.mailbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.UUID;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;

/**
 * The recovery sheet and the password reset of a patient mailbox: with the recovery code the keys
 * stay and old messages stay readable; with only a mailed link the patient gets new keys and the
 * old messages can no longer be opened on their side (docs/patient-mailbox.md).
 */
public final class MailboxRecovery {

  private static final Duration CODE_STEP_TTL = Duration.ofMinutes(15);
  private static final Duration LINK_TTL = Duration.ofHours(24);
  private static final Duration LINK_INTERVAL = Duration.ofMinutes(15);

  /** What a right recovery code opens: a reset step, the wrapped keys and the new salt. */
  public record Opened(String resetToken, byte[] wrappedPrivate, byte[] salt) {}

  /** What a reset link is for. */
  public record ResetLink(MailboxAccount account, String kind, byte[] salt) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final KonsilConfig config;
  private final PatientAccounts accounts;
  private final MailOutbox mail;
  private final AuditLog audit;
  private final MailboxStore store = new MailboxStore();

  public MailboxRecovery(
      Vertx vertx,
      Pool pool,
      Clock clock,
      KonsilConfig config,
      PatientAccounts accounts,
      MailOutbox mail,
      AuditLog audit) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.config = config;
    this.accounts = accounts;
    this.mail = mail;
    this.audit = audit;
  }

  /**
   * Stores a new recovery sheet: the patient typed the password again (its login secret is checked
   * like a login), the browser made the code and wrapped the keys with a key from it.
   */
  public Future<MailboxAccount> createSheet(
      MailboxAccount account, byte[] loginSecret, byte[] recoverySecret, byte[] wrapped) {
    accounts.refuseLocked(account);
    String secret = Base64.getEncoder().encodeToString(loginSecret);
    return vertx
        .executeBlocking(() -> accounts.hasher().verify(secret, account.loginHash()))
        .compose(
            matches ->
                pool.withTransaction(
                    tx ->
                        store
                            .lockAccount(tx, account.id())
                            .compose(
                                current -> {
                                  if (!matches
                                      || !account.loginHash().equals(current.loginHash())) {
                                    return accounts.countFailure(tx, current).map(false);
                                  }
                                  return store
                                      .setRecovery(
                                          tx,
                                          current.id(),
                                          sha256(recoverySecret),
                                          wrapped,
                                          Times.now(clock))
                                      .compose(
                                          done ->
                                              audit.record(
                                                  tx,
                                                  PatientAccounts.patientEvent(current)
                                                      .success("mailbox.recovery_sheet_created")))
                                      .map(true);
                                })))
        .compose(
            stored ->
                stored
                    ? store.accountById(pool, account.id())
                    : Future.failedFuture(
                        new ApiException(401, "invalid_credentials", "The password is wrong.")));
  }

  /**
   * Checks a recovery code (its derived secret), counted like a login guess; a right one answers
   * the keys wrapped with the code and a step to set a new password with.
   */
  public Future<Opened> openWithCode(
      UUID organisationId, String email, byte[] recoverySecret, String address) {
    return accounts.countedForAddress(
        address,
        () ->
            accounts
                .accountByLogin(organisationId, email)
                .compose(
                    account -> {
                      if (account == null || account.loginHash() == null) {
                        return accounts.failUnknown(
                            organisationId,
                            email,
                            Base64.getEncoder().encodeToString(recoverySecret),
                            invalidCode());
                      }
                      accounts.refuseLocked(account);
                      return pool.withTransaction(
                              tx ->
                                  store
                                      .lockAccount(tx, account.id())
                                      .compose(
                                          current -> {
                                            accounts.refuseLocked(current);
                                            return store
                                                .recovery(tx, current.id())
                                                .compose(
                                                    row -> {
                                                      if (row == null
                                                          || !MessageDigest.isEqual(
                                                              row.getBuffer("recovery_hash")
                                                                  .getBytes(),
                                                              sha256(recoverySecret))) {
                                                        return accounts
                                                            .countFailure(tx, current)
                                                            .map((Opened) null);
                                                      }
                                                      return issueStep(tx, current, row);
                                                    });
                                          }))
                          .compose(
                              opened ->
                                  opened == null
                                      ? Future.failedFuture(invalidCode())
                                      : Future.succeededFuture(opened));
                    }));
  }

  private Future<Opened> issueStep(
      io.vertx.sqlclient.SqlClient tx, MailboxAccount account, Row row) {
    String token = Secrets.newToken();
    byte[] salt = Secrets.randomBytes(16);
    return store
        .insertResetToken(
            tx,
            Secrets.hash(token),
            account.id(),
            "code",
            salt,
            Times.now(clock),
            Times.at(clock.instant().plus(CODE_STEP_TTL)))
        .map(done -> new Opened(token, row.getBuffer("recovery_wrapped").getBytes(), salt));
  }

  /**
   * Mails a reset link to the mailbox's address, if there is such a mailbox; answers the same
   * either way, so that it tells nobody who has one.
   */
  public Future<Void> mailResetLink(UUID organisationId, String email) {
    return accounts
        .accountByLogin(organisationId, email)
        .compose(
            account -> {
              if (account == null || account.loginHash() == null) {
                return Future.succeededFuture();
              }
              // one mail per quarter of an hour: the public form must not flood a patient's inbox
              return store
                  .recentResetLink(
                      pool, account.id(), Times.at(clock.instant().minus(LINK_INTERVAL)))
                  .compose(
                      recent -> recent ? Future.<Void>succeededFuture() : sendResetLink(account));
            });
  }

  private Future<Void> sendResetLink(MailboxAccount account) {
    String token = Secrets.newToken();
    String link = config.publicUrl() + "/mailbox#reset=" + token;
    return pool.withTransaction(
        tx ->
            store
                .insertResetToken(
                    tx,
                    Secrets.hash(token),
                    account.id(),
                    "link",
                    Secrets.randomBytes(16),
                    Times.now(clock),
                    Times.at(clock.instant().plus(LINK_TTL)))
                .compose(
                    done ->
                        mail.enqueue(
                            tx,
                            new MailMessage(
                                account.email(),
                                account.organisationName()
                                    + ": Passwort zurücksetzen / reset your password",
                                """
                                          Hier setzen Sie das Passwort Ihres Patientenpostfachs \
                                          bei %s zurück (der Link gilt 24 Stunden):
                                          Reset the password of your patient mailbox at %s here \
                                          (the link is valid for 24 hours):

                                          %s

                                          Haben Sie das nicht angefordert, ignorieren Sie diese Mail.
                                          If you did not ask for this, ignore this mail.
                                          """
                                    .formatted(
                                        account.organisationName(),
                                        account.organisationName(),
                                        link))))
                .compose(
                    done ->
                        audit.record(
                            tx,
                            PatientAccounts.patientEvent(account)
                                .success("mailbox.password_reset_requested"))));
  }

  /**
   * What a reset step (from the code or a mailed link) is for, and the salt of the new password.
   */
  public Future<ResetLink> resetLink(String token) {
    return store
        .resetToken(pool, Secrets.hash(token), Times.now(clock), false)
        .compose(
            row -> {
              if (row == null) {
                throw linkInvalid();
              }
              return store
                  .accountById(pool, row.getUUID("account_id"))
                  .map(
                      account -> {
                        if (account == null || account.loginHash() == null) {
                          throw linkInvalid();
                        }
                        return new ResetLink(
                            account, row.getString("kind"), row.getBuffer("salt").getBytes());
                      });
            });
  }

  /**
   * Sets the new password. After the code the keys stay (the wrapped keys change); after a mailed
   * link new keys replace the old ones, which the patient must have confirmed. Every session ends;
   * the answer is a new one.
   */
  public Future<PatientAccounts.Opened> setPassword(
      String token,
      byte[] loginSecret,
      int iterations,
      byte[] wrapped,
      byte[] newX,
      byte[] newEd,
      boolean lossConfirmed) {
    if (iterations < PatientAccounts.MIN_ITERATIONS || iterations > 100_000_000) {
      throw ApiException.validation(
          "'iterations' must be at least " + PatientAccounts.MIN_ITERATIONS + ".");
    }
    return resetLink(token)
        .compose(
            link -> {
              boolean newKeys = link.kind().equals("link");
              if (newKeys && (newX == null || newEd == null)) {
                throw ApiException.validation(
                    "Without the recovery code the mailbox needs new keys: send 'x25519Public' and"
                        + " 'ed25519Public'.");
              }
              if (!newKeys && (newX != null || newEd != null)) {
                throw ApiException.validation(
                    "With the recovery code the keys stay: send no new public keys.");
              }
              if (newKeys && !lossConfirmed) {
                throw ApiException.conflict(
                    "mailbox_loss_unconfirmed",
                    "Without the recovery code the earlier messages can no longer be opened;"
                        + " confirm that with 'confirmLoss': true.");
              }
              return vertx
                  .executeBlocking(
                      () -> accounts.hasher().hash(Base64.getEncoder().encodeToString(loginSecret)))
                  .compose(
                      loginHash ->
                          pool.withTransaction(
                              tx ->
                                  store
                                      .resetToken(tx, Secrets.hash(token), Times.now(clock), true)
                                      .compose(
                                          row -> {
                                            if (row == null) {
                                              throw linkInvalid();
                                            }
                                            UUID id = row.getUUID("account_id");
                                            OffsetDateTime now = Times.now(clock);
                                            return store
                                                .lockAccount(tx, id)
                                                .compose(
                                                    current ->
                                                        store.resetPassword(
                                                            tx,
                                                            id,
                                                            link.salt(),
                                                            iterations,
                                                            loginHash,
                                                            wrapped,
                                                            newKeys ? newX : null,
                                                            newKeys ? newEd : null))
                                                .compose(done -> store.useResetTokens(tx, id, now))
                                                .compose(done -> store.endSessions(tx, id))
                                                .compose(
                                                    done ->
                                                        audit.record(
                                                            tx,
                                                            PatientAccounts.patientEvent(
                                                                    link.account())
                                                                .with("withRecoveryCode", !newKeys)
                                                                .success("mailbox.password_reset")))
                                                .compose(done -> accounts.openSession(tx, id));
                                          })));
            });
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }

  private static ApiException invalidCode() {
    return new ApiException(
        401, "invalid_recovery_code", "E-mail address or recovery code is wrong.");
  }

  private static ApiException linkInvalid() {
    return new ApiException(
        404, "mailbox_link_invalid", "This link is unknown, used or expired; ask for a new one.");
  }
}
