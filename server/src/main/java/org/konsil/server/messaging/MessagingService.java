package org.konsil.server.messaging;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.List;
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
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.rooms.RoomService;

/**
 * Sending and reading messages. A send is acknowledged only after its transaction committed, and a
 * repeated client message id answers the first acknowledgement without storing anything.
 */
public final class MessagingService implements RoomCursor.Fetch {

  public static final int MAX_CONTENT_LENGTH = 16_000;
  public static final int MAX_PAGE = 200;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final RoomService rooms;
  private final LiveEvents live;
  private final FileStore files;
  private final AuditLog audit;
  private final MessageStore store = new MessageStore();
  private final MessageWriter writer;
  private UnstoredMessages unstored;

  public MessagingService(
      Vertx vertx,
      Pool pool,
      Clock clock,
      RoomService rooms,
      LiveEvents live,
      FileStore files,
      AuditLog audit,
      InvitationService invitations,
      MeterRegistry metrics) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.rooms = rooms;
    this.live = live;
    this.files = files;
    this.audit = audit;
    this.writer = new MessageWriter(vertx, pool, clock, store, rooms, invitations, live, metrics);
  }

  /**
   * Bench-only: from now on text messages are acknowledged and pushed without being stored (the
   * benchmark's fan-out ceiling). Never for real use.
   */
  public void benchWithoutDatabase() {
    this.unstored = new UnstoredMessages();
  }

  public static String checkContent(String content) {
    if (content == null || content.isBlank()) {
      throw ApiException.validation("'content' must not be empty.");
    }
    if (content.length() > MAX_CONTENT_LENGTH) {
      throw ApiException.validation(
          "'content' must be at most " + MAX_CONTENT_LENGTH + " characters long.");
    }
    return content;
  }

  public Future<Ack> send(AuthenticatedUser user, UUID room, UUID clientMsgId, String content) {
    checkContent(content);
    if (unstored != null) {
      return Future.succeededFuture(
          unstored.accept(user, room, clientMsgId, content, Times.now(clock), live));
    }
    return writer.text(user, room, clientMsgId, content);
  }

  /**
   * Sends a stored file into a room as an attachment message; the file's catalogue row, the
   * attachment and the message are written in one transaction. A repeated clientMsgId answers the
   * first ack and the new copy of the file is dropped.
   */
  public Future<Ack> sendAttachment(
      AuthenticatedUser user, UUID room, UUID clientMsgId, StoredFile file) {
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
                      done ->
                          store.insertAttachment(
                              tx, attachmentId, room, file.id(), user.userId(), now));
            })
        .onComplete(
            result -> {
              if (result.failed() || result.result().duplicate()) {
                files.discard(file.id());
              }
            });
  }

  /**
   * The room's complete history with nothing masked, as a PDF, for an admin of the organisation
   * whose documentation it is; every export is audited.
   */
  public Future<byte[]> export(AuthenticatedUser user, UUID roomId) {
    return rooms
        .view(user, roomId)
        .compose(
            room -> {
              user.requireAdmin();
              if (!room.owningOrganisationId().equals(user.organisationId())) {
                throw ApiException.forbidden(
                    "export_not_allowed",
                    "Only the organisation whose documentation this room is may export it.");
              }
              return allMessages(roomId, 0, new java.util.ArrayList<>())
                  .compose(
                      messages ->
                          vertx
                              .executeBlocking(
                                  () ->
                                      HistoryExport.render(room, messages, user, Times.now(clock)))
                              .compose(
                                  pdf ->
                                      audit
                                          .recordAlone(
                                              AuditEvent.by(user)
                                                  .on("room", roomId)
                                                  .with("messages", messages.size())
                                                  .success("room.exported"))
                                          .map(pdf)));
            });
  }

  private Future<List<Message>> allMessages(UUID room, long after, List<Message> collected) {
    return store
        .range(pool, room, after, Long.MAX_VALUE, 500)
        .compose(
            page -> {
              page.forEach(message -> collected.add(message.unmasked()));
              return page.size() < 500
                  ? Future.succeededFuture(collected)
                  : allMessages(room, page.get(page.size() - 1).seq(), collected);
            });
  }

  /** Where an attachment lies and how to send it. */
  public record AttachmentAccess(java.nio.file.Path path, String mediaType, String fileName) {}

  /**
   * An attachment for a member of its room, audited; unknown or foreign ids are refused (and the
   * refusal audited), and after a revocation the file is withheld like the messages.
   */
  public Future<AttachmentAccess> attachment(AuthenticatedUser user, UUID attachmentId) {
    return store
        .attachmentFor(pool, attachmentId, user.organisationId())
        .compose(
            row -> {
              if (row == null) {
                // the owner of the attachment's room sees the refusal too, if there is such a room
                return store
                    .attachmentOwner(pool, attachmentId)
                    .otherwiseEmpty()
                    .compose(
                        owner ->
                            Refusals.record(
                                audit,
                                AuditEvent.by(user).on("attachment", attachmentId),
                                "attachment.read",
                                owner))
                    .transform(
                        done -> Future.failedFuture(ApiException.notFound("No such attachment.")));
              }
              if (row.getBoolean("revoked")) {
                return Future.failedFuture(ConsentService.consentRevoked());
              }
              return audit
                  .recordAlone(
                      AuditEvent.by(user)
                          // reads of a patient room's files belong in the patient organisation's
                          // log
                          .forOrganisation(
                              row.getUUID("patient_organisation_id") == null
                                  ? user.organisationId()
                                  : row.getUUID("patient_organisation_id"))
                          .on("attachment", attachmentId)
                          .with("room", row.getUUID("room_id"))
                          .with("patient", row.getUUID("patient_id"))
                          .success("attachment.read"))
                  .map(
                      done ->
                          new AttachmentAccess(
                              files.path(row.getUUID("file_id")),
                              row.getString("media_type"),
                              row.getString("file_name")));
            });
  }

  /**
   * A page of history, oldest first: after a sequence number, before one, or the newest when
   * neither is given.
   */
  public Future<JsonObject> history(
      AuthenticatedUser user, UUID room, Long after, Long before, int limit) {
    if (after != null && before != null) {
      throw ApiException.validation("Give 'after' or 'before', not both.");
    }
    return rooms
        .requireMember(user, room)
        .compose(lastSeq -> auditPatientRead(user, room, "rest").map(lastSeq))
        .compose(
            lastSeq -> {
              if (after != null) {
                return store
                    .range(pool, room, after, Long.MAX_VALUE, limit + 1)
                    .map(page -> page(page, limit, false));
              }
              long upper = before == null ? Long.MAX_VALUE : before;
              return store
                  .before(pool, room, upper, limit + 1)
                  .map(
                      page -> {
                        List<Message> newestFirst = new java.util.ArrayList<>(page);
                        boolean more = newestFirst.size() > limit;
                        if (more) {
                          newestFirst.remove(newestFirst.size() - 1);
                        }
                        Collections.reverse(newestFirst);
                        return page(newestFirst, Integer.MAX_VALUE, more);
                      });
            });
  }

  private static JsonObject page(List<Message> messages, int limit, boolean more) {
    boolean hasMore = more || messages.size() > limit;
    List<Message> shown = messages.size() > limit ? messages.subList(0, limit) : messages;
    return new JsonObject()
        .put("messages", new JsonArray(shown.stream().map(Message::toJson).toList()))
        .put("hasMore", hasMore);
  }

  /**
   * Records that a member read a patient room's history (REST or sync); reads of general rooms are
   * not patient data and are not recorded.
   */
  public Future<Void> auditPatientRead(AuthenticatedUser user, UUID room, String via) {
    return store
        .patientOf(pool, room)
        .compose(
            patient ->
                patient == null
                    ? Future.succeededFuture()
                    : audit.recordAlone(
                        AuditEvent.by(user)
                            .forOrganisation(patient.getUUID("organisation_id"))
                            .on("room", room)
                            .with("patient", patient.getUUID("id"))
                            .with("via", via)
                            .success("room.history_read")));
  }

  /** Stored messages of a room with after < seq <= upTo, for the gateway's gap filling. */
  @Override
  public Future<List<Message>> range(UUID room, long after, long upTo, int limit) {
    return store.range(pool, room, after, upTo, limit);
  }

  @Override
  public Future<Long> lastSeq(UUID room) {
    return store.lastSeq(pool, room);
  }

  public Future<JsonObject> markRead(AuthenticatedUser user, UUID room, long seq) {
    return rooms
        .markRead(user, room, seq)
        .onSuccess(
            marker -> live.readMarker(user.userId(), marker.copy().put("type", "unread").encode()));
  }

  void typing(AuthenticatedUser user, UUID room) {
    live.typing(
        room,
        user.userId(),
        new JsonObject()
            .put("type", "typing")
            .put("room", room.toString())
            .put(
                "sender",
                new JsonObject()
                    .put("id", user.userId().toString())
                    .put("displayName", user.displayName())
                    .put(
                        "organisation",
                        new JsonObject()
                            .put("id", user.organisationId().toString())
                            .put("name", user.organisationName())))
            .encode());
  }

  /** Stops taking new messages and waits for the ones being stored, up to the grace period. */
  public Future<Void> drain(Duration grace) {
    return writer.drain(grace);
  }
}
