package org.konsil.client.live;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.ConnectionLost;
import org.konsil.client.event.ConnectionReady;
import org.konsil.client.event.DeviceAdded;
import org.konsil.client.event.DeviceRemoved;
import org.konsil.client.event.PrekeysLow;
import org.konsil.client.event.RoomJoined;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.event.RoomRevoked;
import org.konsil.client.event.SessionEnded;
import org.konsil.client.event.ThisDeviceRemoved;
import org.konsil.client.event.Typing;
import org.konsil.client.event.UnreadChanged;
import org.konsil.client.http.SessionEndedException;

/**
 * The WebSocket with the server's delivery contract (docs/asyncapi.yaml), kept open: it connects
 * with a single-use ticket, waits for {@code ready}, asks for what each room has beyond the
 * client's position ({@code sync}), delivers every room's messages once and in order, and
 * reconnects after a growing pause when the connection is lost. Sent messages stay in an outbox
 * until their {@code ack}; after a reconnect they are sent again with the same {@code clientMsgId},
 * which the server stores once.
 *
 * <p>Not thread-safe: call it on the Vert.x context it was made on; events come on that context.
 */
public final class LiveConnection {

  /** Sends on their way without an ack; the server refuses more than 1,000 per connection. */
  static final int WINDOW = 256;

  /** The server's default frame limit (bytes of UTF-8). */
  static final int MAX_FRAME_BYTES = 65_536;

  static final int MAX_CONTENT = 16_000;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final URI server;
  private final Supplier<Future<String>> tickets;
  private final RoomCursors cursors;
  private final Consumer<ClientEvent> events;
  private final LiveSettings settings;
  private final IntSupplier device;
  private int connectedDevice;

  private final Map<UUID, RoomStream> streams = new HashMap<>();
  private final LinkedHashMap<UUID, Outgoing> outbox = new LinkedHashMap<>();
  private final ArrayDeque<Outgoing> unsent = new ArrayDeque<>();
  private int inFlight;

  private boolean running;
  private String endedBy;
  private ClientWebSocket socket;
  private boolean socketReady;
  private String closingError;
  private Promise<Void> nextReady;
  private int failures;
  private long reconnectTimer = -1;
  private long heartbeatTimer = -1;
  private long lastFrameAt;

  /** A message on its way: its frame, and whether it went out on the current socket. */
  private static final class Outgoing {
    final UUID clientMsgId;
    final String frame;
    final Promise<Ack> acked = Promise.promise();
    boolean sent;

    Outgoing(UUID clientMsgId, String frame) {
      this.clientMsgId = clientMsgId;
      this.frame = frame;
    }
  }

  /**
   * @param server the server's base URL ({@code http} or {@code https})
   * @param tickets gets a fresh WebSocket ticket ({@code POST /api/v1/ws-tickets})
   */
  public LiveConnection(
      Vertx vertx,
      String server,
      WebSocketClientOptions options,
      Supplier<Future<String>> tickets,
      RoomCursors cursors,
      LiveSettings settings,
      IntSupplier device,
      Consumer<ClientEvent> events) {
    this.vertx = vertx;
    this.device = device;
    this.client =
        vertx.createWebSocketClient(
            new WebSocketClientOptions(options)
                .setMaxFrameSize(1 << 20)
                .setMaxMessageSize(16 << 20));
    this.server = URI.create(server);
    this.tickets = tickets;
    this.cursors = cursors;
    this.settings = settings;
    this.events = events;
  }

  /** Connects (and keeps connecting); the future completes at the next {@code ready}. */
  public Future<Void> start() {
    if (socketReady) {
      return Future.succeededFuture();
    }
    endedBy = null;
    if (nextReady == null) {
      nextReady = Promise.promise();
    }
    Future<Void> ready = nextReady.future();
    if (!running) {
      running = true;
      heartbeatTimer = vertx.setPeriodic(settings.heartbeatMillis(), id -> heartbeat());
      connect();
    }
    return ready;
  }

  /** Closes the connection and stops reconnecting; unacknowledged messages wait for a start. */
  public Future<Void> stop() {
    running = false;
    cancelTimers();
    failReady(new IllegalStateException("The connection was stopped."));
    ClientWebSocket current = socket;
    dropSocket();
    return current == null ? Future.succeededFuture() : current.close().recover(e -> succeeded());
  }

  /**
   * Closes the current socket as a network failure would; the connection reconnects and resyncs by
   * itself. For integrators that know the network changed, and for tests.
   */
  public void interrupt() {
    if (socket != null) {
      socket.close();
    }
  }

  public boolean ready() {
    return socketReady;
  }

  /** The room's last delivered sequence number (-1 when the room is not known yet). */
  public long delivered(UUID room) {
    RoomStream stream = streams.get(room);
    return stream == null ? -1 : stream.delivered();
  }

  /** How many messages were dropped as repeats since the client started. */
  public long repeatsDropped() {
    return streams.values().stream().mapToLong(RoomStream::dropped).sum();
  }

  /**
   * Sends a text message; the future completes with the server's acknowledgement, however many
   * reconnects it takes. The same {@code clientMsgId} again (also after a restart of the
   * integrator's program) stores the message once.
   */
  public Future<Ack> send(UUID room, String content, UUID clientMsgId) {
    if (content == null || content.isBlank() || content.length() > MAX_CONTENT) {
      return Future.failedFuture(
          new IllegalArgumentException("A message needs 1 to 16,000 characters, not all blank."));
    }
    if (content.indexOf('\0') >= 0) {
      return Future.failedFuture(new IllegalArgumentException("A message cannot contain NUL."));
    }
    if (endedBy != null) {
      return Future.failedFuture(
          new SessionEndedException(endedBy, "The session has ended; log in again."));
    }
    Outgoing waiting = outbox.get(clientMsgId);
    if (waiting != null) {
      return waiting.acked.future();
    }
    String frame =
        new JsonObject()
            .put("type", "send")
            .put("room", room.toString())
            .put("clientMsgId", clientMsgId.toString())
            .put("content", content)
            .encode();
    if (frame.getBytes(StandardCharsets.UTF_8).length > MAX_FRAME_BYTES) {
      return Future.failedFuture(
          new IllegalArgumentException("The message is too large for one frame."));
    }
    Outgoing outgoing = new Outgoing(clientMsgId, frame);
    outbox.put(clientMsgId, outgoing);
    unsent.addLast(outgoing);
    pump();
    return outgoing.acked.future();
  }

  /** How many sent messages wait for their acknowledgement. */
  public int unacknowledged() {
    return outbox.size();
  }

  /** Moves the user's read marker (only while connected; the next read marker catches up). */
  public void read(UUID room, long seq) {
    write(
        new JsonObject().put("type", "read").put("room", room.toString()).put("seq", seq).encode());
  }

  /**
   * Tells the server that this connection's device holds the room's messages up to seq (only while
   * connected; a {@code sync} after a reconnect confirms what came before it).
   */
  public void received(UUID room, long seq) {
    if (connectedDevice > 0) {
      write(
          new JsonObject()
              .put("type", "received")
              .put("room", room.toString())
              .put("seq", seq)
              .encode());
    }
  }

  /** The device this connection speaks for (0 for none). */
  public int device() {
    return connectedDevice;
  }

  /** Tells the room's other users that this user is typing (only while connected). */
  public void typing(UUID room) {
    write(new JsonObject().put("type", "typing").put("room", room.toString()).encode());
  }

  // ---- connecting ----

  private void connect() {
    if (!running || socket != null) {
      return;
    }
    tickets
        .get()
        .compose(
            ticket -> {
              if (!running) {
                return Future.failedFuture(new IllegalStateException("stopped"));
              }
              ClientWebSocket ws = client.webSocket();
              socket = ws;
              connectedDevice = device.getAsInt();
              closingError = null;
              ws.textMessageHandler(text -> onFrame(ws, text));
              ws.exceptionHandler(failure -> ws.close());
              ws.closeHandler(v -> onClosed(ws, ws.closeStatusCode(), ws.closeReason()));
              return ws.connect(connectOptions(ticket))
                  .onFailure(
                      failure -> {
                        if (socket == ws) {
                          socket = null;
                        }
                      });
            })
        .onFailure(
            failure -> {
              if (failure instanceof SessionEndedException ended) {
                end(ended.code());
              } else if (running) {
                events.accept(new ConnectionLost(-1, String.valueOf(failure.getMessage())));
                scheduleReconnect();
              }
            });
  }

  /**
   * A further WebSocket of this session that names no device (so it carries no envelopes), with a
   * new ticket, outside the delivery contract of this connection: the caller reads its frames (the
   * desktop companion relays one per browser tab).
   */
  public Future<WebSocket> openWithoutDevice() {
    return tickets.get().compose(ticket -> client.connect(connectOptions(ticket, 0)));
  }

  private WebSocketConnectOptions connectOptions(String ticket) {
    return connectOptions(ticket, connectedDevice);
  }

  private WebSocketConnectOptions connectOptions(String ticket, int device) {
    boolean tls = "https".equalsIgnoreCase(server.getScheme());
    int port = server.getPort() > 0 ? server.getPort() : tls ? 443 : 80;
    String base = server.getRawPath() == null ? "" : server.getRawPath().replaceAll("/$", "");
    return new WebSocketConnectOptions()
        .setHost(server.getHost())
        .setPort(port)
        .setSsl(tls)
        .setConnectTimeout(10_000)
        .setURI(base + "/api/v1/ws?ticket=" + ticket + (device > 0 ? "&device=" + device : ""));
  }

  private void onClosed(ClientWebSocket ws, Short code, String reason) {
    if (ws != socket) {
      return;
    }
    dropSocket();
    int status = code == null ? -1 : code;
    if (status == 4003) {
      end(closingError == null ? "session_ended" : closingError);
      return;
    }
    if (running) {
      events.accept(new ConnectionLost(status, reason == null ? "" : reason));
      scheduleReconnect();
    }
  }

  private void dropSocket() {
    socket = null;
    socketReady = false;
    inFlight = 0;
    unsent.clear();
    for (Outgoing outgoing : outbox.values()) {
      outgoing.sent = false;
      unsent.addLast(outgoing);
    }
  }

  private void scheduleReconnect() {
    if (!running || reconnectTimer >= 0) {
      return;
    }
    long pause =
        Math.min(
            settings.reconnectMaxMillis(), settings.reconnectMinMillis() << Math.min(failures, 16));
    failures++;
    pause = pause / 2 + ThreadLocalRandom.current().nextLong(pause / 2 + 1);
    reconnectTimer =
        vertx.setTimer(
            Math.max(1, pause),
            id -> {
              reconnectTimer = -1;
              connect();
            });
  }

  /** The session is over: no more reconnects, and no message will be acknowledged. */
  private void end(String code) {
    running = false;
    endedBy = code;
    cancelTimers();
    SessionEndedException ended =
        new SessionEndedException(code, "The session has ended; log in again.");
    failReady(ended);
    for (Outgoing outgoing : outbox.values()) {
      outgoing.acked.tryFail(ended);
    }
    outbox.clear();
    unsent.clear();
    if ("device_removed".equals(code) || "unknown_device".equals(code)) {
      events.accept(new ThisDeviceRemoved(connectedDevice));
    } else {
      events.accept(new SessionEnded(code));
    }
  }

  private void heartbeat() {
    if (!socketReady) {
      return;
    }
    if (System.currentTimeMillis() - lastFrameAt > settings.heartbeatMillis() * 5 / 2) {
      interrupt();
    } else {
      write(new JsonObject().put("type", "ping").encode());
    }
  }

  private void cancelTimers() {
    if (reconnectTimer >= 0) {
      vertx.cancelTimer(reconnectTimer);
      reconnectTimer = -1;
    }
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
      heartbeatTimer = -1;
    }
  }

  private void failReady(Throwable failure) {
    if (nextReady != null) {
      nextReady.tryFail(failure);
      nextReady = null;
    }
  }

  // ---- frames ----

  private void onFrame(ClientWebSocket ws, String text) {
    if (ws != socket) {
      return;
    }
    lastFrameAt = System.currentTimeMillis();
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException e) {
      return;
    }
    switch (String.valueOf(frame.getString("type"))) {
      case "ready" -> onReady(frame);
      case "message" -> deliver(Frames.message(frame));
      case "ack" -> onAck(frame);
      case "error" -> onError(frame);
      case "joined" -> onJoined(frame.getJsonObject("room"));
      case "revoked" ->
          events.accept(
              new RoomRevoked(
                  Frames.uuid(frame.getString("room")), Instant.parse(frame.getString("at"))));
      case "unread" ->
          events.accept(
              new UnreadChanged(
                  Frames.uuid(frame.getString("room")),
                  frame.getLong("readSeq"),
                  frame.getLong("unread")));
      case "typing" -> {
        JsonObject sender = frame.getJsonObject("sender");
        events.accept(
            new Typing(
                Frames.uuid(frame.getString("room")),
                Frames.uuid(sender.getString("id")),
                sender.getString("displayName")));
      }
      case "device_added" -> {
        JsonObject device = frame.getJsonObject("device");
        events.accept(
            new DeviceAdded(
                device.getInteger("deviceId"),
                Base64.getDecoder().decode(device.getString("identityKey"))));
      }
      case "device_removed" -> events.accept(new DeviceRemoved(frame.getInteger("deviceId")));
      case "prekeys_low" ->
          events.accept(
              new PrekeysLow(
                  frame.getInteger("deviceId"),
                  frame.getInteger("preKeys"),
                  frame.getInteger("pqPreKeys")));
      default -> {
        // pong, synced, registration_pending and frame types of later versions
      }
    }
  }

  private void onReady(JsonObject frame) {
    socketReady = true;
    failures = 0;
    Map<UUID, Long> rooms = new LinkedHashMap<>();
    JsonArray list = frame.getJsonArray("rooms");
    for (int i = 0; i < list.size(); i++) {
      JsonObject room = list.getJsonObject(i);
      UUID id = Frames.uuid(room.getString("id"));
      long lastSeq = room.getLong("lastSeq");
      rooms.put(id, lastSeq);
      RoomStream stream = stream(id, lastSeq);
      if (stream.delivered() < lastSeq) {
        write(
            new JsonObject()
                .put("type", "sync")
                .put("room", id.toString())
                .put("after", stream.delivered())
                .encode());
      }
    }
    pump();
    events.accept(new ConnectionReady(Map.copyOf(rooms)));
    if (nextReady != null) {
      Promise<Void> ready = nextReady;
      nextReady = null;
      ready.tryComplete();
    }
  }

  private void onJoined(JsonObject room) {
    UUID id = Frames.uuid(room.getString("id"));
    long lastSeq = room.getLong("lastSeq");
    stream(id, lastSeq);
    events.accept(new RoomJoined(id, room.getString("kind"), room.getString("title"), lastSeq));
  }

  /** The room's stream; a room met for the first time starts at its cursor or at lastSeq. */
  private RoomStream stream(UUID room, long lastSeq) {
    return streams.computeIfAbsent(
        room, id -> new RoomStream(cursors.lastDelivered(id).orElse(lastSeq)));
  }

  private void deliver(RoomMessage message) {
    RoomStream stream = stream(message.room(), message.seq() - 1);
    for (RoomMessage next : stream.offer(message)) {
      cursors.delivered(next.room(), next.seq());
      events.accept(next);
    }
  }

  private void onAck(JsonObject frame) {
    Ack ack = Frames.ack(frame);
    Outgoing outgoing = outbox.remove(ack.clientMsgId());
    if (outgoing == null) {
      return;
    }
    if (outgoing.sent) {
      inFlight--;
    }
    unsent.remove(outgoing);
    outgoing.acked.tryComplete(ack);
    pump();
  }

  private void onError(JsonObject frame) {
    String code = frame.getString("code");
    if ("session_ended".equals(code)
        || "account_disabled".equals(code)
        || "device_removed".equals(code)
        || "unknown_device".equals(code) && frame.getString("clientMsgId") == null) {
      closingError = code;
      return;
    }
    String id = frame.getString("clientMsgId");
    Outgoing outgoing;
    try {
      outgoing = id == null ? null : outbox.get(UUID.fromString(id));
    } catch (IllegalArgumentException e) {
      outgoing = null;
    }
    if (outgoing == null || !outgoing.sent) {
      return;
    }
    inFlight--;
    if ("rate_limited".equals(code)) {
      // not stored: send it again once earlier sends have been answered
      outgoing.sent = false;
      unsent.addFirst(outgoing);
      vertx.setTimer(1_000, t -> pump());
      return;
    }
    outbox.remove(outgoing.clientMsgId);
    outgoing.acked.tryFail(new SendRefusedException(code, frame.getString("detail")));
    pump();
  }

  private void pump() {
    while (socketReady && inFlight < WINDOW && !unsent.isEmpty()) {
      Outgoing next = unsent.pollFirst();
      next.sent = true;
      inFlight++;
      write(next.frame);
    }
  }

  private void write(String frame) {
    if (socketReady && socket != null) {
      socket.writeTextMessage(frame);
    }
  }

  private static Future<Void> succeeded() {
    return Future.succeededFuture();
  }
}
