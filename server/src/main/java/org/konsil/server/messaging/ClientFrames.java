package org.konsil.server.messaging;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.Problems;

/**
 * What a client writes on its socket, read and answered: {@code auth} until the connection has a
 * user, then {@code send} (text, or envelopes in an encrypted room), {@code sync}, {@code
 * received}, {@code read}, {@code typing} and {@code ping}. A frame that cannot be served gets an
 * {@code error} frame with the problem code and the frame's {@code ref} and {@code clientMsgId};
 * the socket stays open.
 */
final class ClientFrames {

  private static final long TYPING_INTERVAL_MS = 2_000;
  private static final int MAX_PENDING_SENDS = 1_000;

  private final int maxFrameBytes;
  private final MessagingService messaging;
  private final MessageHistory history;
  private final Clock clock;
  private final BiConsumer<ClientConnection, String> authenticate;

  /**
   * {@code authenticate} takes a connection and the token of its {@code auth} frame, and joins or
   * refuses it.
   */
  ClientFrames(
      int maxFrameBytes,
      MessagingService messaging,
      MessageHistory history,
      Clock clock,
      BiConsumer<ClientConnection, String> authenticate) {
    this.maxFrameBytes = maxFrameBytes;
    this.messaging = messaging;
    this.history = history;
    this.clock = clock;
    this.authenticate = authenticate;
  }

  void onText(ClientConnection connection, String text) {
    if (connection.isClosed()) {
      return;
    }
    if (tooLarge(text)) {
      connection.sendError(
          "frame_too_large", "A frame may have at most " + maxFrameBytes + " bytes.", null);
      return;
    }
    JsonObject frame;
    try {
      frame = Json.parse(text).raw();
    } catch (ApiException e) {
      connection.sendError(e.code(), e.detail(), null);
      return;
    }
    JsonObject context = echo(frame);
    try {
      Object type = frame.getValue("type");
      if (!(type instanceof String typeName)) {
        throw new ApiException(400, "unknown_type", "Every frame needs a 'type'.");
      }
      if (connection.user == null) {
        if (connection.authenticating) {
          throw notReady();
        }
        if (!"auth".equals(typeName)) {
          throw ApiException.unauthenticated("Send an 'auth' frame first.");
        }
        String token = Json.of(frame).requiredText("token", 4096);
        if (frame.getValue("device") != null) {
          connection.requestedDevice = (int) Json.of(frame).requiredLong("device", 1, 127);
        }
        connection.authenticating = true;
        authenticate.accept(connection, token);
        return;
      }
      if (!connection.isReady()) {
        throw notReady();
      }
      switch (typeName) {
        case "send" -> send(connection, Json.of(frame), context);
        case "sync" -> sync(connection, Json.of(frame), context);
        case "received" -> received(connection, Json.of(frame), context);
        case "read" -> read(connection, Json.of(frame), context);
        case "typing" -> typing(connection, Json.of(frame));
        case "ping" ->
            connection.sendLive(new JsonObject().put("type", "pong").mergeIn(context).encode());
        case "auth" ->
            throw ApiException.conflict(
                "already_authenticated", "This socket is authenticated already.");
        default ->
            throw new ApiException(400, "unknown_type", "Unknown frame type '" + typeName + "'.");
      }
    } catch (ApiException e) {
      connection.sendError(e.code(), e.detail(), withExtensions(context, e));
    } catch (RuntimeException e) {
      ApiException problem = Problems.unexpected(e);
      connection.sendError(problem.code(), problem.detail(), context);
    }
  }

  private static ApiException notReady() {
    return ApiException.conflict("not_ready", "Wait for the 'ready' frame.");
  }

  private void send(ClientConnection connection, Json frame, JsonObject context) {
    UUID room = frame.requiredUuid("room");
    UUID clientMsgId = frame.requiredUuid("clientMsgId");
    Object sealed = frame.raw().getValue("envelopes");
    List<Envelope> envelopes = null;
    String content = null;
    UUID replyTo = null;
    UUID corrects = null;
    if (sealed != null) {
      if (frame.raw().getValue("content") != null) {
        throw ApiException.validation("Send 'content' or 'envelopes', not both.");
      }
      if (connection.device == null) {
        throw DeliveryRefusals.deviceRequired();
      }
      envelopes = Envelope.parse(sealed);
    } else {
      content = frame.requiredText("content", MessagingService.MAX_CONTENT_LENGTH);
      replyTo = frame.optionalUuid("replyTo");
      corrects = frame.optionalUuid("corrects");
    }
    List<Envelope> toSeal = envelopes;
    String text = content;
    UUID quoted = replyTo;
    UUID corrected = corrects;
    if (connection.pendingSends >= MAX_PENDING_SENDS) {
      throw ApiException.rateLimited(
          "rate_limited", "Too many messages waiting to be stored; wait for their acks.", 1);
    }
    connection.pendingSends++;
    // One connection's sends are stored in the order it sent them.
    connection.sendChain =
        connection
            .sendChain
            .transform(
                previous ->
                    (toSeal == null
                            ? messaging.send(
                                connection.user, room, clientMsgId, text, quoted, corrected)
                            : messaging.sendEncrypted(
                                connection.user, connection.device, room, clientMsgId, toSeal))
                        .onSuccess(
                            ack ->
                                connection.sendLive(
                                    new JsonObject()
                                        .mergeIn(context)
                                        .mergeIn(ack.toJson())
                                        .put("type", "ack")
                                        .encode()))
                        .onFailure(
                            failure -> {
                              ApiException problem = Problems.unexpected(failure);
                              if ("unavailable".equals(problem.code())) {
                                // The server is stopping: the close (1001) that follows tells the
                                // client to send again, after reconnecting, what has no ack.
                                return;
                              }
                              connection.sendError(
                                  problem.code(),
                                  problem.detail(),
                                  withExtensions(context, problem));
                            }))
            .<Void>mapEmpty()
            .otherwiseEmpty()
            .onComplete(done -> connection.pendingSends--);
  }

  private void sync(ClientConnection connection, Json frame, JsonObject context) {
    UUID room = frame.requiredUuid("room");
    long after = frame.requiredLong("after", 0, Long.MAX_VALUE);
    RoomCursor cursor = connection.cursors.get(room);
    if (cursor == null) {
      throw ApiException.notAMember();
    }
    cursor.sync(after, context.getString("ref"));
    history.auditPatientRead(connection.user, room, "sync");
    if (connection.device != null && after > 0) {
      // a device that syncs from a position holds everything up to it
      history.confirmReceived(connection.user, connection.device, room, after);
    }
  }

  /**
   * A device confirms that it holds a room's messages up to {@code seq}: its envelopes up to there
   * count as delivered (a revocation drops only the ones above).
   */
  private void received(ClientConnection connection, Json frame, JsonObject context) {
    UUID room = frame.requiredUuid("room");
    long seq = frame.requiredLong("seq", 0, Long.MAX_VALUE);
    if (!connection.cursors.containsKey(room)) {
      throw ApiException.notAMember();
    }
    if (connection.device == null) {
      throw DeliveryRefusals.deviceRequired();
    }
    history
        .confirmReceived(connection.user, connection.device, room, seq)
        .onFailure(
            failure -> {
              ApiException problem = Problems.unexpected(failure);
              connection.sendError(problem.code(), problem.detail(), context);
            });
  }

  private static JsonObject withExtensions(JsonObject context, ApiException problem) {
    JsonObject extensions = problem.extensions();
    if (extensions == null) {
      return context;
    }
    return context.copy().mergeIn(extensions);
  }

  private void read(ClientConnection connection, Json frame, JsonObject context) {
    UUID room = frame.requiredUuid("room");
    long seq = frame.requiredLong("seq", 0, Long.MAX_VALUE);
    if (!connection.cursors.containsKey(room)) {
      throw ApiException.notAMember();
    }
    messaging
        .markRead(connection.user, room, seq)
        .onFailure(
            failure -> {
              ApiException problem = Problems.unexpected(failure);
              connection.sendError(problem.code(), problem.detail(), context);
            });
  }

  /** Relayed at most once every two seconds per room, by the injected clock. */
  private void typing(ClientConnection connection, Json frame) {
    UUID room = frame.requiredUuid("room");
    if (!connection.cursors.containsKey(room)) {
      throw ApiException.notAMember();
    }
    if (connection.typingDue(room, clock.millis(), TYPING_INTERVAL_MS)) {
      messaging.typing(connection.user, room);
    }
  }

  private boolean tooLarge(String text) {
    if (text.length() > maxFrameBytes) {
      return true;
    }
    return text.length() * 3 > maxFrameBytes
        && text.getBytes(StandardCharsets.UTF_8).length > maxFrameBytes;
  }

  /** The fields of a client frame that its answer repeats, so the client can match them. */
  private static JsonObject echo(JsonObject frame) {
    JsonObject context = new JsonObject();
    Object ref = frame.getValue("ref");
    if (ref instanceof String text && text.length() <= 64) {
      context.put("ref", text);
    }
    Object clientMsgId = frame.getValue("clientMsgId");
    if (clientMsgId instanceof String text && text.length() <= 64) {
      context.put("clientMsgId", text);
    }
    return context;
  }
}
