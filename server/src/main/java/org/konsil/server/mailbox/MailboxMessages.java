package org.konsil.server.mailbox;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.patients.PatientService;

/**
 * Mailbox messages both ways: stored as the sender's browser encrypted and signed them (the
 * signature checked first), listed per side with that side's sealed content key, marked read,
 * exported; a new message to the patient brings an e-mail without content.
 */
public final class MailboxMessages {

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final MailboxKeys keys;
  private final MailOutbox mail;
  private final AuditLog audit;
  private final String publicUrl;
  private final MailboxStore store = new MailboxStore();

  public MailboxMessages(
      Pool pool,
      Clock clock,
      PatientService patients,
      MailboxKeys keys,
      MailOutbox mail,
      AuditLog audit,
      String publicUrl) {
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.keys = keys;
    this.mail = mail;
    this.audit = audit;
    this.publicUrl = publicUrl;
  }

  // the practice's side

  /** The patient's mailbox for a staff member with access: the account and its messages. */
  public Future<MailboxAccount> practiceAccount(AuthenticatedUser user, UUID patientId) {
    return patients
        .ownPatient(user, patientId)
        .compose(patient -> keys.requireAccess(user))
        .compose(ok -> store.accountByPatient(pool, patientId))
        .map(
            account -> {
              if (account == null) {
                throw new ApiException(
                    404, "mailbox_not_found", "This patient has no mailbox yet; invite them.");
              }
              return account;
            });
  }

  public Future<List<MailboxMessage>> practiceMessages(AuthenticatedUser user, UUID patientId) {
    return practiceAccount(user, patientId)
        .compose(account -> store.messagesOf(pool, account.id()));
  }

  public Future<List<MailboxMessage>> practiceInbox(AuthenticatedUser user) {
    return keys.requireAccess(user).compose(ok -> store.practiceInbox(pool, user.organisationId()));
  }

  public Future<MailboxMessage> practiceSend(
      AuthenticatedUser user, UUID patientId, SendRequest request) {
    return practiceAccount(user, patientId)
        .compose(
            account -> {
              switch (account.status()) {
                case "invited" ->
                    throw ApiException.conflict(
                        "mailbox_not_registered",
                        "The patient has not registered yet; the message can be sent once they have.");
                case "blocked" ->
                    throw ApiException.conflict(
                        "mailbox_blocked",
                        "The patient does not accept messages from your practice.");
                case "closed" ->
                    throw ApiException.conflict(
                        "mailbox_closed", "The patient has closed the mailbox.");
                default -> {
                  // active
                }
              }
              return keys.requirePracticeKey(user.organisationId())
                  .compose(
                      practiceKey -> {
                        checkSignature(
                            practiceKey.getBuffer("ed25519_public").getBytes(),
                            account,
                            "to_patient",
                            request);
                        return store(
                            account,
                            "to_patient",
                            user.userId(),
                            request,
                            (tx, message) ->
                                mail.enqueue(
                                        tx,
                                        new MailMessage(
                                            account.email(),
                                            account.organisationName()
                                                + ": Neue Nachricht / new message",
                                            """
                                            Sie haben eine neue Nachricht von %s in Ihrem Patientenpostfach.
                                            You have a new message from %s in your patient mailbox.

                                            %s/mailbox#practice=%s
                                            """
                                                .formatted(
                                                    account.organisationName(),
                                                    account.organisationName(),
                                                    publicUrl,
                                                    account.organisationId())))
                                    .compose(
                                        done ->
                                            audit.record(
                                                tx,
                                                AuditEvent.by(user)
                                                    .on("mailbox_message", message.id())
                                                    .with("mailboxId", account.id())
                                                    .with(
                                                        "attachments", request.attachments().size())
                                                    .success("mailbox.message_sent"))));
                      });
            });
  }

  public Future<byte[]> practiceAttachment(
      AuthenticatedUser user, UUID patientId, UUID messageId, int position) {
    return practiceAccount(user, patientId)
        .compose(account -> attachment(account, messageId, position));
  }

  /** A staff member opened what the patient wrote; the first opening marks it read. */
  public Future<MailboxMessage> practiceRead(
      AuthenticatedUser user, UUID patientId, UUID messageId) {
    return practiceAccount(user, patientId)
        .compose(account -> messageOf(account, messageId))
        .compose(
            message ->
                pool.withTransaction(
                        tx ->
                            (message.direction().equals("to_practice")
                                    ? store.markRead(tx, messageId, user.userId(), Times.now(clock))
                                    : Future.succeededFuture(false))
                                .compose(
                                    marked ->
                                        audit.record(
                                            tx,
                                            AuditEvent.by(user)
                                                .on("mailbox_message", messageId)
                                                .with("mailboxId", message.mailboxId())
                                                .success("mailbox.message_read"))))
                    .compose(done -> store.message(pool, messageId)));
  }

  /** Records that a staff member exported a message (PDF) or filed it into the patient's chat. */
  public Future<Void> practiceExport(
      AuthenticatedUser user, UUID patientId, UUID messageId, String kind, UUID roomId) {
    return practiceAccount(user, patientId)
        .compose(account -> messageOf(account, messageId))
        .compose(
            message ->
                roomId == null
                    ? Future.succeededFuture(message)
                    : store
                        .patientRoomOf(pool, roomId, patientId, user.organisationId())
                        .map(
                            found -> {
                              if (!found) {
                                throw ApiException.notFound(
                                    "No room about this patient that your organisation is in.");
                              }
                              return message;
                            }))
        .compose(
            message -> {
              AuditEvent.Builder event =
                  AuditEvent.by(user)
                      .on("mailbox_message", messageId)
                      .with("mailboxId", message.mailboxId())
                      .with("kind", kind);
              if (roomId != null) {
                event.with("roomId", roomId);
              }
              return audit.recordAlone(event.success("mailbox.message_exported"));
            });
  }

  // the patient's side

  public Future<List<MailboxMessage>> patientMessages(MailboxAccount account) {
    return store.messagesOf(pool, account.id());
  }

  public Future<MailboxMessage> patientSend(MailboxAccount account, SendRequest request) {
    checkSignature(account.ed25519Public(), account, "to_practice", request);
    return store(
        account,
        "to_practice",
        null,
        request,
        (tx, message) ->
            audit.record(
                tx,
                PatientAccounts.patientEvent(account)
                    .with("messageId", message.id())
                    .with("attachments", request.attachments().size())
                    .success("mailbox.message_sent")));
  }

  public Future<byte[]> patientAttachment(MailboxAccount account, UUID messageId, int position) {
    return attachment(account, messageId, position);
  }

  public Future<MailboxMessage> patientRead(MailboxAccount account, UUID messageId) {
    return messageOf(account, messageId)
        .compose(
            message ->
                pool.withTransaction(
                        tx ->
                            (message.direction().equals("to_patient")
                                    ? store.markRead(tx, messageId, null, Times.now(clock))
                                    : Future.succeededFuture(false))
                                .compose(
                                    marked ->
                                        audit.record(
                                            tx,
                                            PatientAccounts.patientEvent(account)
                                                .with("messageId", messageId)
                                                .success("mailbox.message_read"))))
                    .compose(done -> store.message(pool, messageId)));
  }

  // shared

  private interface InTransaction {
    Future<Void> run(SqlClient tx, MailboxMessage message);
  }

  private Future<MailboxMessage> store(
      MailboxAccount account,
      String direction,
      UUID sender,
      SendRequest request,
      InTransaction alsoDo) {
    MailboxMessage message =
        new MailboxMessage(
            request.id(),
            account.id(),
            account.organisationId(),
            account.patientId(),
            direction,
            sender,
            request.envelope(),
            request.signature(),
            request.keyForPatient(),
            request.keyForPractice(),
            request.attachments().stream().map(a -> a.length).toArray(Integer[]::new),
            Times.now(clock),
            null);
    return pool.<Void>withTransaction(
            tx ->
                store
                    .insertMessage(tx, message, request.attachments())
                    .compose(done -> alsoDo.run(tx, message)))
        .compose(done -> store.message(pool, message.id()))
        .recover(
            failure -> {
              if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
                // a retry of a message that was stored answers it; any other reuse is refused
                return store
                    .message(pool, request.id())
                    .map(
                        existing -> {
                          if (existing != null
                              && existing.mailboxId().equals(account.id())
                              && existing.direction().equals(direction)
                              && Arrays.equals(existing.envelope(), request.envelope())) {
                            return existing;
                          }
                          throw ApiException.conflict(
                              "mailbox_message_exists", "A message with this id exists already.");
                        });
              }
              return Future.failedFuture(failure);
            });
  }

  private static void checkSignature(
      byte[] senderKey, MailboxAccount account, String direction, SendRequest request) {
    byte[] transcript =
        MailboxSignatures.transcript(
            account.id(), request.id(), direction, request.envelope(), request.attachments());
    if (!MailboxSignatures.verify(senderKey, transcript, request.signature())) {
      throw new ApiException(
          422,
          "mailbox_signature_invalid",
          "The message's signature does not match its content and the sender's key.");
    }
  }

  private Future<MailboxMessage> messageOf(MailboxAccount account, UUID messageId) {
    return store
        .message(pool, messageId)
        .map(
            message -> {
              if (message == null || !message.mailboxId().equals(account.id())) {
                throw ApiException.notFound("No such message.");
              }
              return message;
            });
  }

  private Future<byte[]> attachment(MailboxAccount account, UUID messageId, int position) {
    return messageOf(account, messageId)
        .compose(message -> store.attachment(pool, messageId, position))
        .map(
            content -> {
              if (content == null) {
                throw ApiException.notFound("No such attachment.");
              }
              return content;
            });
  }
}
