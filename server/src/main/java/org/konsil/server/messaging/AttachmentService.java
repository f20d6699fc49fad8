package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.consent.ConsentService;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.StoredFile;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * Files sent into rooms: an attachment is a message whose content describes the file, written by
 * the one message write path together with the file's rows; reading one is for members of its room
 * only, audited, and withheld after the patient's revocation like the messages.
 */
public final class AttachmentService {

  private final MessageWriter writer;
  private final Pool pool;
  private final Clock clock;
  private final FileStore files;
  private final AuditLog audit;
  private final AttachmentStore store = new AttachmentStore();

  public AttachmentService(
      MessageWriter writer, Pool pool, Clock clock, FileStore files, AuditLog audit) {
    this.writer = writer;
    this.pool = pool;
    this.clock = clock;
    this.files = files;
    this.audit = audit;
  }

  /** Where an attachment lies and how to send it. */
  public record AttachmentAccess(Path path, String mediaType, String fileName) {}

  /**
   * Sends a stored file into a room as an attachment message; the file's catalogue row, the
   * attachment and the message are written in one transaction. A repeated clientMsgId answers the
   * first ack and the new copy of the file is dropped.
   */
  public Future<Ack> send(AuthenticatedUser user, UUID room, UUID clientMsgId, StoredFile file) {
    UUID attachmentId = UUID.randomUUID();
    String content =
        new JsonObject()
            .put("attachmentId", attachmentId.toString())
            .put("fileName", file.fileName())
            .put("mediaType", file.type().mime())
            .put("size", file.size())
            .put("sha256", file.sha256Hex())
            .encode();
    return writer
        .withRows(
            user,
            room,
            clientMsgId,
            "attachment",
            content,
            tx -> {
              OffsetDateTime now = Times.now(clock);
              return files
                  .record(tx, file, user.userId(), now)
                  .compose(
                      done -> store.insert(tx, attachmentId, room, file.id(), user.userId(), now));
            })
        .onComplete(
            result -> {
              if (result.failed() || result.result().duplicate()) {
                files.discard(file.id());
              }
            });
  }

  /**
   * Keeps a file that its sender encrypted for an end-to-end encrypted room: the file's catalogue
   * row and the attachment row in one transaction, no message (the key and what the file is travel
   * inside the sender's encrypted message). Answers the attachment id; members download it like any
   * attachment. The caller checked that the room is encrypted and the user a member.
   */
  public Future<UUID> keepCiphertext(AuthenticatedUser user, UUID room, StoredFile file) {
    UUID attachmentId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
            tx ->
                files
                    .record(tx, file, user.userId(), now)
                    .compose(
                        done ->
                            store.insert(tx, attachmentId, room, file.id(), user.userId(), now)))
        .onFailure(failure -> files.discard(file.id()))
        .map(attachmentId);
  }

  /**
   * An attachment for a member of its room, audited; unknown or foreign ids are refused (and the
   * refusal audited), and after a revocation the file is withheld like the messages.
   */
  public Future<AttachmentAccess> read(AuthenticatedUser user, UUID attachmentId) {
    return store
        .visibleTo(pool, attachmentId, user.organisationId())
        .compose(
            attachment -> {
              if (attachment == null) {
                return refuse(user, attachmentId);
              }
              if (attachment.revoked()) {
                return Future.failedFuture(ConsentService.consentRevoked());
              }
              return audit
                  .recordAlone(
                      AuditEvent.by(user)
                          // reads of a patient room's files belong in the patient organisation's
                          // log
                          .forOrganisation(
                              attachment.patientOrganisationId() == null
                                  ? user.organisationId()
                                  : attachment.patientOrganisationId())
                          .on("attachment", attachmentId)
                          .with("room", attachment.roomId())
                          .with("patient", attachment.patientId())
                          .success("attachment.read"))
                  .map(
                      done ->
                          new AttachmentAccess(
                              files.path(attachment.fileId()),
                              attachment.mediaType(),
                              attachment.fileName()));
            });
  }

  /**
   * Not found, whether it does not exist or belongs to a room of others; audited, also for the
   * owner of the attachment's room when there is one.
   */
  private Future<AttachmentAccess> refuse(AuthenticatedUser user, UUID attachmentId) {
    return store
        .owner(pool, attachmentId)
        .otherwiseEmpty()
        .compose(
            owner ->
                Refusals.record(
                    audit,
                    AuditEvent.by(user).on("attachment", attachmentId),
                    "attachment.read",
                    owner))
        .transform(done -> Future.failedFuture(ApiException.notFound("No such attachment.")));
  }
}
