package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.rooms.ReadMarker;
import org.konsil.server.rooms.ReadMarkers;
import org.konsil.server.rooms.Receipt;
import org.konsil.server.rooms.RoomService;

/**
 * What a member does in a room besides reading its history: sending text (acknowledged only once
 * committed, see {@link MessageWriter}), moving the read marker, and typing.
 */
public final class MessagingService {

  public static final int MAX_CONTENT_LENGTH = 16_000;

  private final MessageWriter writer;
  private final ReadMarkers readMarkers;
  private final LiveEvents live;
  private final Clock clock;
  private final MessageRelations relations;
  private final AuditLog audit;
  private final Pool pool;
  private final RoomService rooms;
  private final EnvelopeStore envelopes = new EnvelopeStore();
  private UnstoredMessages unstored;

  public MessagingService(
      MessageWriter writer,
      ReadMarkers readMarkers,
      LiveEvents live,
      Clock clock,
      Pool pool,
      RoomService rooms,
      AuditLog audit) {
    this.writer = writer;
    this.readMarkers = readMarkers;
    this.live = live;
    this.clock = clock;
    this.relations = new MessageRelations(pool, rooms);
    this.pool = pool;
    this.rooms = rooms;
    this.audit = audit;
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

  /**
   * A text message into a room, answered once committed; a repeated client message id answers the
   * first ack and stores nothing.
   */
  public Future<Ack> send(AuthenticatedUser user, UUID room, UUID clientMsgId, String content) {
    return send(user, room, clientMsgId, content, null, null);
  }

  /**
   * A text message that may quote an earlier message of the room ({@code replyTo}) or correct one
   * of the sender's own text messages of the last 15 minutes ({@code corrects}). A correction is a
   * message of its own, linked to the corrected one, which stays as it was; it is written to the
   * audit trail in the transaction that stores it.
   */
  public Future<Ack> send(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      String content,
      UUID replyTo,
      UUID corrects) {
    checkContent(content);
    if (unstored != null) {
      return Future.succeededFuture(
          unstored.accept(user, room, clientMsgId, content, Times.now(clock), live));
    }
    return relations
        .check(user, room, clientMsgId, replyTo, corrects, Times.now(clock))
        .compose(
            related ->
                related.corrects() == null
                    ? writer.text(user, room, clientMsgId, content, related)
                    : writer.withRows(
                        user,
                        room,
                        clientMsgId,
                        "text",
                        content,
                        related,
                        (tx, message) ->
                            audit.record(
                                tx,
                                AuditEvent.by(user)
                                    .on("message", related.corrects())
                                    .with("room", room)
                                    .with("correction", message.id())
                                    .success("message.corrected"))));
  }

  /**
   * The devices a message in the room must address (every active device of every active user of its
   * active member organisations), for members; the sender leaves out its own sending device.
   */
  public Future<List<Envelope.Address>> roomDevices(AuthenticatedUser user, UUID room) {
    return rooms
        .requireMember(user, room)
        .compose(member -> envelopes.roomDevices(pool, room))
        .map(List::copyOf);
  }

  /**
   * An encrypted message into an encrypted room from one of the user's devices, one envelope per
   * device of the room's members but the sending one; answered once committed, like text.
   */
  public Future<Ack> sendEncrypted(
      AuthenticatedUser user, Integer device, UUID room, UUID clientMsgId, List<Envelope> sealed) {
    if (device == null) {
      return Future.failedFuture(DeliveryRefusals.deviceRequired());
    }
    return writer.encrypted(user, device, room, clientMsgId, sealed);
  }

  /**
   * Moves the user's read marker; the user's other connections learn the new unread count, the
   * room's other users how far the user has read (a {@code receipt}).
   */
  public Future<ReadMarker> markRead(AuthenticatedUser user, UUID room, long seq) {
    return readMarkers
        .markRead(user, room, seq)
        .onSuccess(
            marker -> {
              live.readMarker(user.userId(), marker.toJson().put("type", "unread").encode());
              readMarkers
                  .receiptOf(user, room)
                  .onSuccess(
                      receipt -> {
                        if (receipt != null && receipt.readSeq() > 0) {
                          live.receipt(
                              room,
                              user.userId(),
                              receipt.toJson().put("type", "receipt").encode());
                        }
                      });
            });
  }

  /** How far the room's other users have read it. */
  public Future<List<Receipt>> receipts(AuthenticatedUser user, UUID room) {
    return readMarkers.receipts(user, room);
  }

  /** Tells the room's other connected members that the user is typing; nothing is stored. */
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
