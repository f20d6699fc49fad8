package org.konsil.server.messaging;

import org.konsil.server.live.LiveEvents;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.konsil.server.accounts.SessionService;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.Problems;
import org.konsil.server.notifications.Presence;
import org.konsil.server.rooms.RoomPosition;
import org.konsil.server.rooms.RoomService;

/**
 * The WebSocket API at {@code /api/v1/ws}: authenticates a connection, takes {@code send}, {@code
 * sync}, {@code read}, {@code typing} and {@code ping} frames, and pushes what the live events
 * bring to the connections that may see it. One gateway per event loop; its state is touched only
 * there.
 */
public final class WebSocketGateway {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(WebSocketGateway.class);

  public static final String PATH = "/api/v1/ws";
  private static final long TYPING_INTERVAL_MS = 2_000;
  private static final int MAX_PENDING_SENDS = 1_000;
  private static final long SHUTDOWN_FLUSH_MS = 3_000;

  private final Vertx vertx;
  private final SessionService sessions;
  private final RoomService rooms;
  private final MessagingService messaging;
  private final KonsilConfig config;
  private final Clock clock;
  private final AtomicInteger openSockets;
  private final Presence presence;
  private final Set<ClientConnection> joining = new HashSet<>();
  private final Map<UUID, Set<ClientConnection>> byRoom = new HashMap<>();
  private final Map<UUID, Set<ClientConnection>> byUser = new HashMap<>();
  private final Map<UUID, Set<ClientConnection>> bySession = new HashMap<>();
  private final Set<ClientConnection> all = new HashSet<>();

  private MessageConsumer<String> consumer;
  private long pinger = -1;
  private boolean accepting = true;
  private Future<Void> shutdown;

  public WebSocketGateway(
      Vertx vertx,
      SessionService sessions,
      RoomService rooms,
      MessagingService messaging,
      KonsilConfig config,
      Clock clock,
      AtomicInteger openSockets,
      Presence presence) {
    this.presence = presence;
    this.clock = clock;
    this.openSockets = openSockets;
    this.vertx = vertx;
    this.sessions = sessions;
    this.rooms = rooms;
    this.messaging = messaging;
    this.config = config;
  }

  /** Call on the event loop that will serve the sockets. */
  public Future<Void> start() {
    pinger = vertx.setPeriodic(config.wsPingInterval().toMillis(), id -> keepAlive());
    consumer = vertx.eventBus().consumer(LiveEvents.ADDRESS, this::onLiveEvent);
    return consumer.completion();
  }

  /** Refuses new sockets and closes the open ones with 1001 (going away). */
  public Future<Void> shutdown() {
    if (shutdown != null) {
      return shutdown;
    }
    accepting = false;
    vertx.cancelTimer(pinger);
    List<Future<Void>> closing = new ArrayList<>();
    for (ClientConnection connection : new ArrayList<>(all)) {
      closing.add(
          connection.closeAfterFlush(ClientConnection.CLOSE_GOING_AWAY, "server shutting down"));
    }
    // A client that does not read gets no longer than this; the server then cuts it off.
    Future<Void> closed =
        Future.join(closing)
            .onComplete(done -> LOG.info("{} sockets said goodbye", closing.size()))
            .<Void>mapEmpty()
            .timeout(SHUTDOWN_FLUSH_MS, TimeUnit.MILLISECONDS)
            .otherwiseEmpty();
    shutdown =
        closed.compose(done -> consumer == null ? Future.succeededFuture() : consumer.unregister());
    return shutdown;
  }

  public int connectionCount() {
    return all.size();
  }

  public void accept(ServerWebSocket ws) {
    ClientConnection connection = new ClientConnection(ws, config.wsMaxQueuedBytes());
    if (!accepting) {
      connection.close(ClientConnection.CLOSE_GOING_AWAY, "server shutting down");
      return;
    }
    all.add(connection);
    openSockets.incrementAndGet();
    ws.setWriteQueueMaxSize(64 * 1024);
    InboundFrames inbound =
        new InboundFrames(
            config.wsMaxFrameBytes() * 4L,
            text -> onText(connection, text),
            () -> connection.sendError("unsupported_frame", "Send JSON text frames.", null));
    ws.frameHandler(
        frame -> {
          connection.heard();
          short refusal = inbound.accept(frame);
          if (refusal != InboundFrames.OK) {
            connection.close(
                refusal,
                refusal == InboundFrames.CLOSE_INVALID_TEXT ? "invalid UTF-8" : "message too big");
          }
        });
    ws.pongHandler(data -> connection.heard());
    ws.exceptionHandler(e -> closeAfterFailure(connection, e));
    ws.closeHandler(v -> forget(connection));
    String ticket = ticketOf(ws);
    if (ticket != null) {
      connection.authenticating = true;
      sessions
          .redeemWsTicket(ticket)
          .onSuccess(user -> join(connection, user))
          .onFailure(failure -> refuse(connection, failure));
    } else {
      vertx.setTimer(
          config.wsAuthTimeout().toMillis(),
          id -> {
            if (connection.user == null && !connection.authenticating && !connection.isClosed()) {
              connection.endWithError(
                  "unauthenticated",
                  "Authenticate within the time limit.",
                  ClientConnection.CLOSE_UNAUTHENTICATED,
                  "authentication timeout");
            }
          });
    }
  }

  /**
   * A frame the protocol layer could not read closes with the code it names (1009 for a frame far
   * above the limit, 1002 for a protocol violation); anything else is a fault on this side (1011).
   */
  private static void closeAfterFailure(ClientConnection connection, Throwable failure) {
    if (failure
        instanceof
        io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException corrupt) {
      var status = corrupt.closeStatus();
      connection.close(
          status == null ? ClientConnection.CLOSE_PROTOCOL_ERROR : (short) status.code(),
          status == null ? "protocol error" : status.reasonText());
    } else {
      connection.close(ClientConnection.CLOSE_INTERNAL_ERROR, "error");
    }
  }

  /** Pings every socket, and closes those from which nothing came for the idle timeout. */
  private void keepAlive() {
    long idle = config.wsIdleTimeout().toNanos();
    for (ClientConnection connection : new ArrayList<>(all)) {
      if (connection.silentNanos() > idle) {
        connection.close(ClientConnection.CLOSE_GOING_AWAY, "idle timeout");
      } else {
        connection.ping();
      }
    }
  }

  private void onText(ClientConnection connection, String text) {
    if (connection.isClosed()) {
      return;
    }
    if (tooLarge(text)) {
      connection.sendError(
          "frame_too_large",
          "A frame may have at most " + config.wsMaxFrameBytes() + " bytes.",
          null);
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
          throw new ApiException(409, "not_ready", "Wait for the 'ready' frame.");
        }
        if (!"auth".equals(typeName)) {
          throw ApiException.unauthenticated("Send an 'auth' frame first.");
        }
        authenticate(connection, Json.of(frame));
        return;
      }
      if (!connection.isReady()) {
        throw new ApiException(409, "not_ready", "Wait for the 'ready' frame.");
      }
      switch (typeName) {
        case "send" -> send(connection, Json.of(frame), context);
        case "sync" -> sync(connection, Json.of(frame), context);
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
      connection.sendError(e.code(), e.detail(), context);
    } catch (RuntimeException e) {
      ApiException problem = Problems.unexpected(e);
      connection.sendError(problem.code(), problem.detail(), context);
    }
  }

  private void authenticate(ClientConnection connection, Json frame) {
    String token = frame.requiredText("token", 4096);
    connection.authenticating = true;
    sessions
        .authenticate(token)
        .onSuccess(user -> join(connection, user))
        .onFailure(failure -> refuse(connection, failure));
  }

  private void refuse(ClientConnection connection, Throwable failure) {
    ApiException problem = Problems.unexpected(failure);
    connection.endWithError(
        problem.code(),
        problem.detail(),
        problem.status() >= 500
            ? ClientConnection.CLOSE_INTERNAL_ERROR
            : ClientConnection.CLOSE_UNAUTHENTICATED,
        problem.code());
  }

  /** Looks up the user's rooms, then starts pushing; live events meanwhile are buffered. */
  private void join(ClientConnection connection, AuthenticatedUser user) {
    if (connection.isClosed()) {
      return;
    }
    if (user.mustEnrolSecondFactor()) {
      connection.endWithError(
          "second_factor_enrolment_required",
          "Your organisation requires a second factor; set it up first.",
          ClientConnection.CLOSE_ENDED,
          "second factor required");
      return;
    }
    connection.user = user;
    long untilExpiry =
        Duration.between(clock.instant(), user.sessionExpiresAt().toInstant()).toMillis();
    connection.expiryTimer =
        vertx.setTimer(
            Math.max(1, untilExpiry),
            id -> {
              connection.endWithError(
                  "session_ended",
                  "Your session has ended.",
                  ClientConnection.CLOSE_ENDED,
                  "session ended");
            });
    connection.joiningBuffer = new ArrayList<>();
    joining.add(connection);
    byUser.computeIfAbsent(user.userId(), k -> new HashSet<>()).add(connection);
    presence.connected(user.userId());
    bySession.computeIfAbsent(user.sessionId(), k -> new HashSet<>()).add(connection);
    rooms
        .positionsOf(user.organisationId())
        .onSuccess(
            positions -> {
              joining.remove(connection);
              if (connection.isClosed()) {
                return;
              }
              JsonArray roomList = new JsonArray();
              for (RoomPosition room : positions) {
                follow(connection, room.id(), room.lastSeq(), room.revoked());
                roomList.add(
                    new JsonObject().put("id", room.id().toString()).put("lastSeq", room.lastSeq()));
              }
              List<Message<String>> buffered = connection.joiningBuffer;
              connection.joiningBuffer = null;
              connection.sendLive(
                  new JsonObject()
                      .put("type", "ready")
                      .put("user", user.toJson())
                      .put("rooms", roomList)
                      .encode());
              buffered.forEach(event -> deliver(event, connection));
            })
        .onFailure(
            failure -> {
              joining.remove(connection);
              refuse(connection, failure);
            });
  }

  /** Starts pushing the room's messages after seq; masked when the database says it is revoked. */
  private void follow(ClientConnection connection, UUID room, long seq, boolean revoked) {
    RoomCursor cursor = new RoomCursor(room, connection, messaging, seq);
    if (revoked) {
      cursor.mask();
    }
    connection.cursors.put(room, cursor);
    byRoom.computeIfAbsent(room, k -> new HashSet<>()).add(connection);
  }

  private void send(ClientConnection connection, Json frame, JsonObject context) {
    UUID room = frame.requiredUuid("room");
    UUID clientMsgId = frame.requiredUuid("clientMsgId");
    String content = frame.requiredText("content", MessagingService.MAX_CONTENT_LENGTH);
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
                    messaging
                        .send(connection.user, room, clientMsgId, content)
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
                              if (problem.status() == 503) {
                                // The server is stopping: the close (1001) that follows tells the
                                // client to send again, after reconnecting, what has no ack.
                                return;
                              }
                              connection.sendError(problem.code(), problem.detail(), context);
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
    messaging.auditPatientRead(connection.user, room, "sync");
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

  private void typing(ClientConnection connection, Json frame) {
    UUID room = frame.requiredUuid("room");
    if (!connection.cursors.containsKey(room)) {
      throw ApiException.notAMember();
    }
    long now = clock.millis();
    Long last = connection.lastTyping.get(room);
    if (last != null && now - last < TYPING_INTERVAL_MS) {
      return;
    }
    connection.lastTyping.put(room, now);
    messaging.typing(connection.user, room);
  }

  private void onLiveEvent(Message<String> event) {
    for (ClientConnection connection : joining) {
      connection.joiningBuffer.add(event);
    }
    MultiMap headers = event.headers();
    switch (headers.get(LiveEvents.KIND)) {
      case "message" -> {
        UUID room = UUID.fromString(headers.get(LiveEvents.ROOM));
        long seq = Long.parseLong(headers.get(LiveEvents.SEQ));
        for (ClientConnection connection : connectionsOf(byRoom, room)) {
          if (connection.isReady()) {
            connection.cursors.get(room).offer(seq, event.body());
          }
        }
      }
      case "masked" -> {
        UUID room = UUID.fromString(headers.get(LiveEvents.ROOM));
        for (ClientConnection connection : connectionsOf(byRoom, room)) {
          if (connection.isReady()) {
            connection.cursors.get(room).mask();
            connection.sendLive(event.body());
          }
        }
      }
      case "typing" -> {
        UUID room = UUID.fromString(headers.get(LiveEvents.ROOM));
        UUID sender = UUID.fromString(headers.get(LiveEvents.USER));
        for (ClientConnection connection : connectionsOf(byRoom, room)) {
          if (connection.isReady() && !connection.user.userId().equals(sender)) {
            connection.sendLive(event.body());
          }
        }
      }
      case "read", "user" -> {
        for (ClientConnection connection : connectionsOf(byUser, userOf(headers))) {
          if (connection.isReady()) {
            connection.sendLive(event.body());
          }
        }
      }
      case "joined" -> {
        for (ClientConnection connection : new ArrayList<>(all)) {
          if (connection.isReady()) {
            deliverJoined(event, connection);
          }
        }
      }
      case "organisation" -> {
        for (ClientConnection connection : new ArrayList<>(all)) {
          if (connection.isReady()) {
            deliverToOrganisation(event, connection);
          }
        }
      }
      case "user-disabled" -> {
        for (ClientConnection connection : connectionsOf(byUser, userOf(headers))) {
          connection.endWithError(
              "account_disabled",
              "Your account has been disabled.",
              ClientConnection.CLOSE_ENDED,
              "account disabled");
        }
      }
      case "session-revoked" -> {
        UUID session = UUID.fromString(headers.get(LiveEvents.SESSION));
        for (ClientConnection connection : connectionsOf(bySession, session)) {
          connection.endWithError(
              "session_ended",
              "Your session has ended.",
              ClientConnection.CLOSE_ENDED,
              "session ended");
        }
      }
      default -> {
        // an event kind from a newer node; nothing to do here
      }
    }
  }

  /** Replays one buffered event to a connection that has just become ready. */
  private void deliver(Message<String> event, ClientConnection connection) {
    MultiMap headers = event.headers();
    String kind = headers.get(LiveEvents.KIND);
    if ("message".equals(kind)) {
      UUID room = UUID.fromString(headers.get(LiveEvents.ROOM));
      RoomCursor cursor = connection.cursors.get(room);
      if (cursor != null) {
        cursor.offer(Long.parseLong(headers.get(LiveEvents.SEQ)), event.body());
      }
    } else if ("joined".equals(kind)) {
      deliverJoined(event, connection);
    } else if ("organisation".equals(kind)) {
      deliverToOrganisation(event, connection);
    } else if ("masked".equals(kind)) {
      RoomCursor cursor = connection.cursors.get(UUID.fromString(headers.get(LiveEvents.ROOM)));
      if (cursor != null) {
        cursor.mask();
        connection.sendLive(event.body());
      }
    }
  }

  private void deliverJoined(Message<String> event, ClientConnection connection) {
    MultiMap headers = event.headers();
    UUID room = UUID.fromString(headers.get(LiveEvents.ROOM));
    String organisation = connection.user.organisationId().toString();
    boolean concerned =
        List.of(headers.get(LiveEvents.ORGANISATIONS).split(",")).contains(organisation);
    if (concerned && !connection.cursors.containsKey(room)) {
      // the room as the database showed it when the organisation joined, revoked or not
      boolean revoked =
          new JsonObject(event.body()).getJsonObject("room").getValue("consentRevokedAt") != null;
      follow(connection, room, Long.parseLong(headers.get(LiveEvents.SEQ)), revoked);
      connection.sendLive(event.body());
    }
  }

  private void deliverToOrganisation(Message<String> event, ClientConnection connection) {
    String organisation = event.headers().get(LiveEvents.ORGANISATIONS);
    if (connection.user.organisationId().toString().equals(organisation)) {
      connection.sendLive(event.body());
    }
  }

  private void forget(ClientConnection connection) {
    connection.markClosed();
    if (all.contains(connection)) {
      openSockets.decrementAndGet();
    }
    if (connection.expiryTimer >= 0) {
      vertx.cancelTimer(connection.expiryTimer);
    }
    all.remove(connection);
    joining.remove(connection);
    if (connection.user == null) {
      return;
    }
    remove(byUser, connection.user.userId(), connection);
    presence.disconnected(connection.user.userId());
    remove(bySession, connection.user.sessionId(), connection);
    for (UUID room : connection.cursors.keySet()) {
      remove(byRoom, room, connection);
    }
  }

  private static List<ClientConnection> connectionsOf(
      Map<UUID, Set<ClientConnection>> index, UUID key) {
    Set<ClientConnection> found = index.get(key);
    return found == null ? List.of() : new ArrayList<>(found);
  }

  private static void remove(
      Map<UUID, Set<ClientConnection>> index, UUID key, ClientConnection connection) {
    Set<ClientConnection> set = index.get(key);
    if (set != null) {
      set.remove(connection);
      if (set.isEmpty()) {
        index.remove(key);
      }
    }
  }

  private static UUID userOf(MultiMap headers) {
    return UUID.fromString(headers.get(LiveEvents.USER));
  }

  private boolean tooLarge(String text) {
    int max = config.wsMaxFrameBytes();
    if (text.length() > max) {
      return true;
    }
    return text.length() * 3 > max && text.getBytes(StandardCharsets.UTF_8).length > max;
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

  private static String ticketOf(ServerWebSocket ws) {
    String query = ws.query();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      if (pair.startsWith("ticket=")) {
        return pair.substring("ticket=".length());
      }
    }
    return null;
  }
}
