package org.konsil.server.messaging;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.konsil.server.accounts.SessionService;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Problems;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.notifications.Presence;
import org.konsil.server.rooms.RoomPosition;
import org.konsil.server.rooms.RoomService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket API at {@code /api/v1/ws}: accepts a socket, authenticates it (a ticket in the URL
 * or an {@code auth} frame), joins it to its user's rooms, keeps it alive and closes it. What the
 * client writes is answered by {@link ClientFrames}; what the live events bring goes out through
 * {@link LiveFanout}. One gateway per event loop; its state is touched only there.
 */
public final class WebSocketGateway {

  private static final Logger LOG = LoggerFactory.getLogger(WebSocketGateway.class);

  public static final String PATH = "/api/v1/ws";
  private static final long SHUTDOWN_FLUSH_MS = 3_000;

  private final Vertx vertx;
  private final SessionService sessions;
  private final RoomService rooms;
  private final KonsilConfig config;
  private final Clock clock;
  private final LiveFanout fanout;
  private final ClientFrames frames;
  private final MessageHistory history;

  private MessageConsumer<String> consumer;

  /** The keep-alive's slices: one is pinged per tick, all of them once per ping interval. */
  static final int KEEP_ALIVE_SLICES = 20;

  private long pinger = -1;
  private long keepAliveTicks;
  private int acceptedSockets;
  private boolean accepting = true;
  private Future<Void> shutdown;

  public WebSocketGateway(
      Vertx vertx,
      SessionService sessions,
      RoomService rooms,
      MessagingService messaging,
      MessageHistory history,
      KonsilConfig config,
      Clock clock,
      AtomicInteger openSockets,
      Presence presence) {
    this.vertx = vertx;
    this.sessions = sessions;
    this.rooms = rooms;
    this.config = config;
    this.clock = clock;
    this.history = history;
    this.fanout =
        new LiveFanout(
            history,
            (delayMs, action) -> vertx.setTimer(delayMs, id -> action.run()),
            presence,
            openSockets);
    this.frames =
        new ClientFrames(config.wsMaxFrameBytes(), messaging, history, clock, this::authenticate);
  }

  /** Call on the event loop that will serve the sockets. */
  public Future<Void> start() {
    long tick = Math.max(1, config.wsPingInterval().toMillis() / KEEP_ALIVE_SLICES);
    pinger = vertx.setPeriodic(tick, id -> keepAlive());
    consumer = vertx.eventBus().consumer(LiveEvents.ADDRESS, fanout::onEvent);
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
    for (ClientConnection connection : fanout.connections()) {
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
    return fanout.size();
  }

  public void accept(ServerWebSocket ws) {
    ClientConnection connection = new ClientConnection(ws, config.wsMaxQueuedBytes());
    connection.keepAliveSlice = Math.floorMod(acceptedSockets++, KEEP_ALIVE_SLICES);
    if (!accepting) {
      connection.close(ClientConnection.CLOSE_GOING_AWAY, "server shutting down");
      return;
    }
    fanout.opened(connection);
    ws.setWriteQueueMaxSize(64 * 1024);
    InboundFrames inbound =
        new InboundFrames(
            config.wsMaxFrameBytes() * 4L,
            text -> frames.onText(connection, text),
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
    String ticket = queryParam(ws, "ticket");
    String device = queryParam(ws, "device");
    if (device != null) {
      try {
        connection.requestedDevice = Integer.valueOf(device);
      } catch (NumberFormatException e) {
        connection.requestedDevice = 0;
      }
    }
    if (ticket != null) {
      connection.authenticating = true;
      connection.checkedFrom = System.nanoTime();
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
    if (failure instanceof CorruptedWebSocketFrameException corrupt) {
      var status = corrupt.closeStatus();
      connection.close(
          status == null ? ClientConnection.CLOSE_PROTOCOL_ERROR : (short) status.code(),
          status == null ? "protocol error" : status.reasonText());
    } else {
      connection.close(ClientConnection.CLOSE_INTERNAL_ERROR, "error");
    }
  }

  /**
   * Closes the sockets whose session has ended; pings one slice of the sockets, and closes those of
   * the slice from which nothing came for the idle timeout. Each socket is in one of {@link
   * #KEEP_ALIVE_SLICES} slices (by the order it came in), and one slice is done per tick, so every
   * socket is pinged once per ping interval as before, but the pings (and the pongs that answer
   * them) of thousands of sockets no longer leave in one burst that holds up the event loop's live
   * frames. Session ends are checked on every tick, by the injected clock: one check here instead
   * of a timer per socket, at most one tick late.
   */
  private void keepAlive() {
    long idle = config.wsIdleTimeout().toNanos();
    long now = clock.millis();
    int slice = (int) (keepAliveTicks++ % KEEP_ALIVE_SLICES);
    for (ClientConnection connection : fanout.connections()) {
      if (now >= connection.sessionEndsAt) {
        connection.endWithError(
            "session_ended",
            "Your session has ended.",
            ClientConnection.CLOSE_ENDED,
            "session ended");
      } else if (connection.keepAliveSlice != slice) {
        continue;
      } else if (connection.silentNanos() > idle) {
        connection.close(ClientConnection.CLOSE_GOING_AWAY, "idle timeout");
      } else {
        connection.ping();
      }
    }
  }

  /** The token of an {@code auth} frame. */
  private void authenticate(ClientConnection connection, String token) {
    connection.checkedFrom = System.nanoTime();
    sessions
        .authenticate(token)
        .onSuccess(user -> join(connection, user))
        .onFailure(failure -> refuse(connection, failure));
  }

  private static void refuse(ClientConnection connection, Throwable failure) {
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
    if (connection.requestedDevice != null) {
      int device = connection.requestedDevice;
      history
          .isActiveDevice(user.userId(), device)
          .onSuccess(
              active -> {
                if (!active) {
                  connection.endWithError(
                      "unknown_device",
                      "This device is not one of your active devices; register it.",
                      ClientConnection.CLOSE_ENDED,
                      "unknown device");
                  return;
                }
                connection.device = device;
                joinAs(connection, user);
              })
          .onFailure(failure -> refuse(connection, failure));
      return;
    }
    joinAs(connection, user);
  }

  /** The user (and the device, if one was named) checked: follows the user's rooms. */
  private void joinAs(ClientConnection connection, AuthenticatedUser user) {
    if (connection.isClosed()) {
      return;
    }
    connection.user = user;
    connection.sessionEndsAt = user.sessionExpiresAt().toInstant().toEpochMilli();
    if (!fanout.joining(connection)) {
      return;
    }
    rooms
        .positionsOf(user.organisationId())
        .onSuccess(positions -> ready(connection, positions))
        .onFailure(
            failure -> {
              fanout.joined(connection);
              refuse(connection, failure);
            });
  }

  /** Follows the rooms, says {@code ready}, then hands on the live events that came meanwhile. */
  private void ready(ClientConnection connection, List<RoomPosition> positions) {
    List<Message<String>> buffered = fanout.joined(connection);
    if (connection.isClosed()) {
      return;
    }
    JsonArray roomList = new JsonArray();
    for (RoomPosition room : positions) {
      fanout.follow(connection, room.id(), room.lastSeq(), room.revoked(), room.encrypted());
      JsonObject entry =
          new JsonObject().put("id", room.id().toString()).put("lastSeq", room.lastSeq());
      if (room.encrypted()) {
        entry.put("encrypted", true);
      }
      roomList.add(entry);
    }
    JsonObject ready =
        new JsonObject()
            .put("type", "ready")
            .put("user", connection.user.toJson())
            .put("rooms", roomList);
    if (connection.device != null) {
      ready.put("device", connection.device);
    }
    connection.sendLive(ready.encode());
    buffered.forEach(event -> fanout.replay(event, connection));
  }

  private void forget(ClientConnection connection) {
    connection.markClosed();
    fanout.forget(connection);
  }

  private static String queryParam(ServerWebSocket ws, String name) {
    String query = ws.query();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      if (pair.startsWith(name + "=")) {
        return pair.substring(name.length() + 1);
      }
    }
    return null;
  }
}
