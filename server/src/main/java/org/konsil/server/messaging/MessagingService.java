package org.konsil.server.messaging;

import org.konsil.server.consent.ConsentService;
import org.konsil.server.live.LiveEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.StoredFile;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.rooms.RoomService;

/**
 * Sending and reading messages. A send is acknowledged only after its transaction committed, and a
 * repeated client message id answers the first acknowledgement without storing anything.
 */
public final class MessagingService implements RoomCursor.Fetch {

  public static final int MAX_CONTENT_LENGTH = 16_000;
  public static final int MAX_PAGE = 200;

  /** Text batches written at the same time; the rest of the pool serves reads and the rest. */
  private static final int BATCHES_IN_FLIGHT = 4;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final RoomService rooms;
  private final LiveEvents live;
  private final FileStore files;
  private final AuditLog audit;
  private final InvitationService invitations;
  private final MessageStore store = new MessageStore();
  private final TextBatcher batcher;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean accepting = true;
  private final Counter stored;
  private final Counter duplicates;
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
    this.invitations = invitations;
    this.files = files;
    this.audit = audit;
    this.stored =
        Counter.builder("konsil.messages.stored")
            .description("Messages committed to the database")
            .register(metrics);
    this.duplicates =
        Counter.builder("konsil.messages.duplicates")
            .description("Sends answered with an earlier ack because the clientMsgId was known")
            .register(metrics);
    this.vertx = vertx;
    this.pool = pool;
    this.batcher = new TextBatcher(vertx, pool, store, BATCHES_IN_FLIGHT, metrics);
    this.clock = clock;
    this.rooms = rooms;
    this.live = live;
  }

  /**
   * Bench-only: from now on text messages are acknowledged and pushed without being stored (the
   * benchmark's fan-out ceiling). Never for real use.
   */
  public void benchWithoutDatabase() {
    this.unstored = new UnstoredMessages();
  }

  /** The acknowledgement of a stored message. */
  public record Ack(Message message, boolean duplicate) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("clientMsgId", message.clientMsgId().toString())
          .put("room", message.room().toString())
          .put("seq", message.seq())
          .put("id", message.id().toString())
          .put("sentAt", Times.iso(message.sentAt()))
          .put("duplicate", duplicate);
    }
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
    return storeText(user, room, clientMsgId, content);
  }

  /**
   * Sends a stored file into a room as an attachment message; the file's catalogue row, the
   * attachment and the message are written in one transaction. A repeated clientMsgId answers the
   * first ack and the new copy of the file is dropped.
   */
  public Future<Ack> sendAttachment(
      AuthenticatedUser user, UUID room, UUID clientMsgId, StoredFile file) {
    UUID attachmentId = UUID.randomUUID();
    return store(
            user,
            room,
            clientMsgId,
            "attachment",
            tx -> {
              OffsetDateTime now = Times.now(clock);
              return files
                  .record(tx, file, user.userId(), now)
                  .compose(
                      done ->
                          store.insertAttachment(
                              tx, attachmentId, room, file.id(), user.userId(), now))
                  .map(
                      done ->
                          new JsonObject()
                              .put("attachmentId", attachmentId.toString())
                              .put("fileName", file.fileName())
                              .put("mediaType", file.type().mime())
                              .put("size", file.size())
                              .put("sha256", file.sha256Hex())
                              .encode());
            })
        .onComplete(
            result -> {
              if (result.failed() || result.result().duplicate()) {
                files.discard(file.id());
              }
            });
  }

  /**
   * A text message in one statement (see {@link MessageStore#storeText}): the same checks and the
   * same commit-before-ack as {@link #store}, in one round trip. A room with invitations waiting
   * for its first message takes the transactional way, which sends them in the same transaction.
   */
  private Future<Ack> storeText(
      AuthenticatedUser user, UUID room, UUID clientMsgId, String content) {
    if (!accepting) {
      return Future.failedFuture(
          ApiException.unavailable("The server is shutting down; send again in a moment."));
    }
    Message message =
        new Message(
            room,
            0,
            UUID.randomUUID(),
            "text",
            content,
            Times.now(clock),
            clientMsgId,
            user.userId(),
            user.displayName(),
            user.organisationId(),
            user.organisationName(),
            false);
    inFlight.incrementAndGet();
    boolean[] transactional = {false};
    Future<Ack> sent =
        batcher
            .store(message)
            .compose(
                outcome -> {
                  if (!outcome.member()) {
                    return rooms.<Ack>refuse(user, room);
                  }
                  if (outcome.earlier() != null) {
                    return outcome.earlier().room().equals(room)
                        ? Future.succeededFuture(new Ack(outcome.earlier(), true))
                        : Future.failedFuture(reusedClientMsgId());
                  }
                  if (outcome.closed()) {
                    return Future.failedFuture(ConsentService.consentRevoked());
                  }
                  if (outcome.seq() == 0) {
                    // invitations wait for this room's first message: the transactional way
                    transactional[0] = true;
                    return store(
                        user, room, clientMsgId, "text", tx -> Future.succeededFuture(content));
                  }
                  return Future.succeededFuture(new Ack(withSeq(message, outcome.seq()), false));
                })
            .recover(
                failure -> {
                  if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
                    // the same message, sent again while its first send was being stored
                    return store
                        .byClientMsgId(pool, user.userId(), clientMsgId)
                        .compose(
                            earlier ->
                                earlier != null && earlier.room().equals(room)
                                    ? Future.succeededFuture(new Ack(earlier, true))
                                    : Future.<Ack>failedFuture(reusedClientMsgId()));
                  }
                  return Future.failedFuture(failure);
                });
    return sent.onSuccess(
            ack -> {
              if (transactional[0]) {
                return; // counted and published by the transactional way
              }
              if (ack.duplicate()) {
                duplicates.increment();
              } else {
                stored.increment();
                live.message(room, ack.message().seq(), ack.message().toFrame());
              }
            })
        .onComplete(done -> inFlight.decrementAndGet());
  }

  private static Message withSeq(Message m, long seq) {
    return new Message(
        m.room(),
        seq,
        m.id(),
        m.kind(),
        m.content(),
        m.sentAt(),
        m.clientMsgId(),
        m.senderId(),
        m.senderName(),
        m.senderOrganisationId(),
        m.senderOrganisationName(),
        m.masked());
  }

  /**
   * The one way a message is stored: under the room's lock, after the membership, idempotency and
   * consent checks, acknowledged only once committed.
   */
  private Future<Ack> store(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      String kind,
      java.util.function.Function<SqlClient, Future<String>> content) {
    if (!accepting) {
      return Future.failedFuture(
          ApiException.unavailable("The server is shutting down; send again in a moment."));
    }
    inFlight.incrementAndGet();
    return pool.<Ack>withTransaction(
            tx ->
                store
                    .lockRoomForMember(tx, room, user.organisationId())
                    .compose(
                        locked -> {
                          if (locked == null) {
                            throw new NotAMember();
                          }
                          return store
                              .byClientMsgId(tx, user.userId(), clientMsgId)
                              .compose(
                                  earlier -> {
                                    if (earlier != null) {
                                      if (!earlier.room().equals(room)) {
                                        throw reusedClientMsgId();
                                      }
                                      return Future.succeededFuture(new Ack(earlier, true));
                                    }
                                    return refuseIfRevoked(tx, locked)
                                        .compose(open -> content.apply(tx))
                                        .compose(
                                            text -> {
                                              Message message =
                                                  new Message(
                                                      room,
                                                      locked.lastSeq() + 1,
                                                      UUID.randomUUID(),
                                                      kind,
                                                      text,
                                                      Times.now(clock),
                                                      clientMsgId,
                                                      user.userId(),
                                                      user.displayName(),
                                                      user.organisationId(),
                                                      user.organisationName(),
                                                      false);
                                              return store
                                                  .insert(tx, message)
                                                  .compose(
                                                      done ->
                                                          locked.pendingInvitations() > 0
                                                              ? invitations.dispatchPending(
                                                                  tx, room)
                                                              : Future.succeededFuture())
                                                  .map(new Ack(message, false));
                                            });
                                  });
                        }))
        .recover(
            failure -> {
              if (failure instanceof NotAMember) {
                // audited once the transaction has given its connection back
                return rooms.<Ack>refuse(user, room);
              }
              return Future.failedFuture(
                  failure instanceof PgException pg && "23505".equals(pg.getSqlState())
                      ? reusedClientMsgId()
                      : failure);
            })
        .onSuccess(
            ack -> {
              if (ack.duplicate()) {
                duplicates.increment();
              } else {
                stored.increment();
                live.message(room, ack.message().seq(), ack.message().toFrame());
              }
            })
        .onComplete(done -> inFlight.decrementAndGet());
  }

  private Future<Void> refuseIfRevoked(SqlClient tx, MessageStore.LockedRoom locked) {
    if (locked.patientId() == null) {
      return Future.succeededFuture();
    }
    return store
        .consentRevoked(tx, locked.patientId())
        .map(
            revoked -> {
              if (revoked) {
                throw ConsentService.consentRevoked();
              }
              return null;
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

  /** A send to a room the sender's organisation is not in; becomes not_a_member after auditing. */
  private static final class NotAMember extends RuntimeException {
    NotAMember() {
      super(null, null, false, false);
    }
  }

  private static ApiException reusedClientMsgId() {
    return ApiException.conflict(
        "client_msg_id_reused", "This clientMsgId was used for another message; use a new one.");
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
    accepting = false;
    long deadline = System.nanoTime() + grace.toNanos();
    return waitIdle(deadline);
  }

  private Future<Void> waitIdle(long deadline) {
    if (inFlight.get() == 0 || System.nanoTime() > deadline) {
      return Future.succeededFuture();
    }
    return vertx.timer(10).compose(t -> waitIdle(deadline));
  }
}
