package org.konsil.server.messaging;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * One client's WebSocket with its own bounded outbound queue. Live frames beyond the bound close
 * the socket (code 4008) instead of slowing anyone else down; the client reconnects and syncs.
 * Touched only from the event loop of the gateway that accepted it.
 */
final class ClientConnection {

  static final short CLOSE_GOING_AWAY = 1001;
  static final short CLOSE_PROTOCOL_ERROR = 1002;
  static final short CLOSE_INTERNAL_ERROR = 1011;
  static final short CLOSE_UNAUTHENTICATED = 4001;
  static final short CLOSE_ENDED = 4003;
  static final short CLOSE_TOO_SLOW = 4008;

  /** Writes that may share one flush of the socket, at most. */
  static final int FLUSH_AFTER_WRITES = 64;

  private final ServerWebSocket ws;
  private final long maxQueuedBytes;
  // mostly empty: frames wait here only while the socket cannot take them
  private final ArrayDeque<String> outbound = new ArrayDeque<>(1);
  // what an idle socket does not use is made when first needed: writers waiting for the queue to
  // drain, the promise of the client's goodbye, the rooms typed in
  private List<Promise<Void>> writableWaiters;
  private Promise<Void> gone;
  private Map<UUID, Long> lastTyping;
  private long outboundBytes;
  private boolean closed;
  private boolean closedByPeer;

  /**
   * When the client was last heard from (any frame, a pong included), by System.nanoTime(): the
   * idle timeout measures a duration on this node, which the monotonic clock does and a time of day
   * (the injected Clock, which tests move) must not.
   */
  private long lastHeard = System.nanoTime();

  AuthenticatedUser user;

  /**
   * The end-to-end device this connection speaks for (one of the user's active devices), or null:
   * in encrypted rooms it receives that device's envelopes and sends from it.
   */
  Integer device;

  /** The device the client named when it authenticated, checked before the connection is ready. */
  Integer requestedDevice;

  boolean authenticating;

  /**
   * When the check of this socket's session, account and device in the database began (monotonic
   * nanoseconds): an end heard from then on may have been missed by that check.
   */
  long checkedFrom;

  /** Which tick of the gateway's keep-alive pings this socket ({@code WebSocketGateway}). */
  int keepAliveSlice;

  /**
   * When the user's session ends, in milliseconds of the injected clock (the clock sessions are
   * checked by); the gateway's keep-alive closes the socket then.
   */
  long sessionEndsAt = Long.MAX_VALUE;

  int pendingSends;

  /** The end of this connection's chain of sends, which keeps them in the order they came. */
  Future<Void> sendChain = Future.succeededFuture();

  /** Live events that arrived while the connection was looking up its rooms. */
  List<io.vertx.core.eventbus.Message<String>> joiningBuffer;

  final Map<UUID, RoomCursor> cursors = new HashMap<>();

  ClientConnection(ServerWebSocket ws, long maxQueuedBytes) {
    this.ws = ws;
    this.maxQueuedBytes = maxQueuedBytes;
    ws.drainHandler(v -> flush());
    consolidateFlushes(ws);
  }

  /**
   * Every frame Vert.x writes is flushed at once, one system call per frame; a room's message goes
   * to every member's socket, each with its own flush. Netty's flush consolidation lets the frames
   * a socket gets while the event loop runs its current tasks leave with one flush, done by a task
   * queued behind them (or after {@link #FLUSH_AFTER_WRITES} flushes, at the end of a read, when
   * the socket stops being writable, and before a close). Order and content do not change. Called
   * on the socket's event loop, before anything is written. Also lets go of what the upgrade left
   * behind ({@link #releaseUpgrade}).
   */
  private static void consolidateFlushes(ServerWebSocket ws) {
    if (ws instanceof WebSocketInternal internal) {
      ChannelHandlerContext vertx = internal.channelHandlerContext();
      vertx
          .pipeline()
          .addBefore(
              vertx.name(),
              "konsil-flush-consolidation",
              new FlushConsolidationHandler(FLUSH_AFTER_WRITES, true));
      releaseUpgrade(vertx);
      shrinkWriteQueue(ws);
    }
  }

  /**
   * What an idle socket no longer needs from its HTTP upgrade (measured: 17.2 → about 10 KiB of
   * heap per idle socket, bench/RESULTS.md). Vert.x 5.0.8 keeps the function that made the
   * WebSocket's connection in the channel's handler for the socket's lifetime, and that function
   * holds the upgrade's handshake, request and HTTP connection, with the connection's write queue
   * (a 4 KiB array). The function is used only when the handler is added, before this runs, so it
   * is dropped here (a private field of Vert.x's {@code VertxHandler}, written by reflection;
   * {@code UpgradeReleaseTest} fails when a Vert.x version names it otherwise, and nothing else
   * changes then). Also removed: the HTTP idle-timeout handler, whose work the gateway's keep-alive
   * does for WebSockets (pings, and a close after the WebSocket idle timeout). Answers whether the
   * function was dropped.
   */
  static boolean releaseUpgrade(ChannelHandlerContext vertx) {
    if (vertx.pipeline().get(IdleStateHandler.class) != null) {
      vertx.pipeline().remove(IdleStateHandler.class);
    }
    Object handler = vertx.handler();
    if (UPGRADE_FACTORY == null || !UPGRADE_FACTORY.getDeclaringClass().isInstance(handler)) {
      return false;
    }
    try {
      UPGRADE_FACTORY.set(handler, null);
      return true;
    } catch (IllegalAccessException e) {
      return false;
    }
  }

  /**
   * Gives the socket's Vert.x write queue chunks of {@link #WRITE_QUEUE_CHUNK} slots instead of
   * Netty's 1,024 (measured: a 4.1 KiB array per socket, 40 % of an idle socket's heap,
   * bench/RESULTS.md). Vert.x 5.0.8 makes every connection's outbound queue with Netty's default
   * chunk and allocates the first chunk at once; the queue grows by a chunk at a time, so a smaller
   * chunk costs an idle socket less and a busy one a few more, smaller allocations. The new queue
   * is of the same kind (many producers, one consumer, unbounded in practice) and replaces the old
   * one only while that is still empty, on the socket's event loop, before anything is written
   * (four private fields of Vert.x on the way to it, read and the last one written by reflection;
   * {@code UpgradeReleaseTest} fails when a Vert.x version names them otherwise, and nothing else
   * changes then). Answers whether the queue was replaced.
   */
  static boolean shrinkWriteQueue(ServerWebSocket ws) {
    if (WS_CONNECTION == null
        || CONNECTION_QUEUE == null
        || QUEUE_PASSING == null
        || PASSING_QUEUE == null) {
      return false;
    }
    try {
      Object connection = WS_CONNECTION.get(ws);
      Object outbound = connection == null ? null : CONNECTION_QUEUE.get(connection);
      Object passing = outbound == null ? null : QUEUE_PASSING.get(outbound);
      if (passing == null || !(PASSING_QUEUE.get(passing) instanceof Queue<?> queue)) {
        return false;
      }
      if (!queue.isEmpty()) {
        return false;
      }
      PASSING_QUEUE.set(passing, PlatformDependent.newMpscQueue(WRITE_QUEUE_CHUNK, MAX_QUEUED));
      return true;
    } catch (IllegalAccessException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Slots per chunk of a socket's Vert.x write queue ({@link #shrinkWriteQueue}). */
  static final int WRITE_QUEUE_CHUNK = 16;

  // the queue's capacity: Netty's largest; frames are bounded long before, by the write-queue size
  private static final int MAX_QUEUED = 1 << 30;

  /** The field of Vert.x's {@code VertxHandler} that keeps the upgrade alive. */
  static final String UPGRADE_FACTORY_FIELD = "connectionFactory";

  /** That field, looked up once; null when this Vert.x version has none of that name. */
  private static final Field UPGRADE_FACTORY =
      field("io.vertx.core.net.impl.VertxHandler", UPGRADE_FACTORY_FIELD);

  // the way from a WebSocket to the queue its writes pass through, in Vert.x 5.0.8
  static final String[][] WRITE_QUEUE_PATH = {
    {"io.vertx.core.http.impl.WebSocketImplBase", "conn"},
    {"io.vertx.core.net.impl.VertxConnection", "outboundMessageQueue"},
    {"io.vertx.core.internal.concurrent.OutboundMessageQueue", "mqp"},
    {"io.vertx.core.streams.impl.MessagePassingQueue", "queue"}
  };
  private static final Field WS_CONNECTION = field(WRITE_QUEUE_PATH[0][0], WRITE_QUEUE_PATH[0][1]);
  private static final Field CONNECTION_QUEUE =
      field(WRITE_QUEUE_PATH[1][0], WRITE_QUEUE_PATH[1][1]);
  private static final Field QUEUE_PASSING = field(WRITE_QUEUE_PATH[2][0], WRITE_QUEUE_PATH[2][1]);
  private static final Field PASSING_QUEUE = field(WRITE_QUEUE_PATH[3][0], WRITE_QUEUE_PATH[3][1]);

  /** A private field of a Vert.x class, made accessible; null when there is none of that name. */
  static Field field(String className, String name) {
    try {
      Field field = Class.forName(className).getDeclaredField(name);
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  ServerWebSocket socket() {
    return ws;
  }

  boolean isReady() {
    return user != null && joiningBuffer == null;
  }

  boolean isClosed() {
    return closed || ws.isClosed();
  }

  void heard() {
    lastHeard = System.nanoTime();
  }

  long silentNanos() {
    return System.nanoTime() - lastHeard;
  }

  /** A WebSocket ping; every client answers it with a pong, which counts as being heard. */
  void ping() {
    if (!isClosed()) {
      ws.writePing(io.vertx.core.buffer.Buffer.buffer("konsil"));
    }
  }

  /** A frame that may be dropped with the connection when the client cannot keep up. */
  void sendLive(String frame) {
    enqueue(frame, true);
  }

  /** A frame of a bounded batch (sync, gap fill) whose sender waits for {@link #writable()}. */
  void sendBulk(String frame) {
    enqueue(frame, false);
  }

  void sendError(String code, String detail, JsonObject context) {
    JsonObject error =
        new JsonObject().put("type", "error").put("code", code).put("detail", detail);
    if (context != null) {
      error.mergeIn(context);
    }
    enqueue(error.encode(), true);
  }

  /**
   * A last error frame, then the close. Frames still waiting are dropped and this one is written
   * whatever the bound, so that even a slow reader learns why its socket closed.
   */
  void endWithError(String code, String detail, short closeCode, String reason) {
    if (closed) {
      return;
    }
    outbound.clear();
    outboundBytes = 0;
    if (!ws.isClosed()) {
      ws.writeTextMessage(
          new JsonObject().put("type", "error").put("code", code).put("detail", detail).encode());
    }
    close(closeCode, reason);
  }

  /** Completes when the queue has drained into the socket. */
  Future<Void> writable() {
    if (closed || (outbound.isEmpty() && !ws.writeQueueFull())) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    if (writableWaiters == null) {
      writableWaiters = new ArrayList<>(1);
    }
    writableWaiters.add(promise);
    return promise.future();
  }

  /**
   * Whether a typing notice for the room may go out at {@code now}: the first one, or one at least
   * {@code intervalMs} after the last that went out. Remembers {@code now} when it may.
   */
  boolean typingDue(UUID room, long now, long intervalMs) {
    if (lastTyping == null) {
      lastTyping = new HashMap<>(4);
    }
    Long last = lastTyping.get(room);
    if (last != null && now - last < intervalMs) {
      return false;
    }
    lastTyping.put(room, now);
    return true;
  }

  /** Closes now; frames still waiting are dropped. */
  Future<Void> close(short code, String reason) {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    outbound.clear();
    outboundBytes = 0;
    releaseWaiters();
    return ws.isClosed() ? Future.succeededFuture() : ws.close(code, reason);
  }

  /**
   * Closes once the frames waiting (acks above all) have been written, and completes when the
   * client has answered the close: cutting the connection earlier could lose the last frames.
   */
  Future<Void> closeAfterFlush(short code, String reason) {
    return writable().transform(flushed -> close(code, reason)).transform(sent -> goodbye());
  }

  private Future<Void> goodbye() {
    if (gone == null) {
      gone = Promise.promise();
      if (closedByPeer) {
        gone.complete();
      }
    }
    return gone.future();
  }

  /** The socket closed from the other side or the network. */
  void markClosed() {
    closedByPeer = true;
    if (gone != null) {
      gone.tryComplete();
    }
    closed = true;
    outbound.clear();
    releaseWaiters();
  }

  private void enqueue(String frame, boolean bounded) {
    if (closed) {
      return;
    }
    if (outbound.isEmpty() && !ws.writeQueueFull()) {
      ws.writeTextMessage(frame);
      return;
    }
    outbound.addLast(frame);
    outboundBytes += frame.length();
    if (bounded && outboundBytes > maxQueuedBytes) {
      close(CLOSE_TOO_SLOW, "too slow; reconnect and sync");
    }
  }

  private void flush() {
    while (!closed && !outbound.isEmpty() && !ws.writeQueueFull()) {
      String frame = outbound.pollFirst();
      outboundBytes -= frame.length();
      ws.writeTextMessage(frame);
    }
    if (outbound.isEmpty()) {
      releaseWaiters();
    }
  }

  private void releaseWaiters() {
    if (writableWaiters == null || writableWaiters.isEmpty()) {
      return;
    }
    List<Promise<Void>> waiting = new ArrayList<>(writableWaiters);
    writableWaiters.clear();
    waiting.forEach(Promise::tryComplete);
  }
}
