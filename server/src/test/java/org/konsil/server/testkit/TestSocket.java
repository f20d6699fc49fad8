package org.konsil.server.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client for tests: frames land in a queue that a test reads with a timeout. Every
 * frame is checked against {@code docs/asyncapi.yaml} ({@link FrameContract}): a frame sent with
 * {@link #send} must keep it, one sent with {@link #sendInvalid} must not, and a frame from the
 * server that breaks it fails the test at its next read of this socket, or at its close.
 */
public final class TestSocket implements AutoCloseable {

  private static final long WAIT_SECONDS = 15;

  private final ClientWebSocket ws;
  private final WebSocketClient client;
  private final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final java.util.ArrayDeque<JsonObject> stash = new java.util.ArrayDeque<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();
  private final List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();

  private TestSocket(WebSocketClient client, ClientWebSocket ws) {
    this.client = client;
    this.ws = ws;
    // Handlers are in place before the handshake, so the first frame cannot slip past them.
    ws.textMessageHandler(
        text -> {
          try {
            FrameContract.get().checkServerFrame(text);
          } catch (AssertionError e) {
            violations.add(e.getMessage());
          }
          frames.add(new JsonObject(text));
        });
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
  }

  public static TestSocket connect(Vertx vertx, int port, String uri) {
    return connect(vertx, port, uri, new WebSocketClientOptions());
  }

  public static TestSocket connect(
      Vertx vertx, int port, String uri, WebSocketClientOptions options) {
    WebSocketClient client =
        vertx.createWebSocketClient(options.setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20));
    TestSocket socket = new TestSocket(client, client.webSocket());
    try {
      socket
          .ws
          .connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri))
          .await(WAIT_SECONDS, TimeUnit.SECONDS);
      return socket;
    } catch (Exception e) {
      throw new IllegalStateException("could not connect to " + uri, e);
    }
  }

  public WebSocket raw() {
    return ws;
  }

  /** Sends a frame that keeps the contract. */
  public TestSocket send(JsonObject frame) {
    String text = frame.encode();
    FrameContract.get().checkClientFrame(text);
    ws.writeTextMessage(text);
    return this;
  }

  /** Sends a frame that the contract refuses, to see how the server refuses it. */
  public TestSocket sendInvalid(JsonObject frame) {
    String text = frame.encode();
    FrameContract.get().checkInvalidClientFrame(text);
    ws.writeTextMessage(text);
    return this;
  }

  /** Sends text as it is, unchecked: for frames that are no JSON object or test the limits. */
  public TestSocket sendText(String text) {
    ws.writeTextMessage(text);
    return this;
  }

  /** Fails the test if the server sent a frame that breaks the contract. */
  public void assertFramesKeptContract() {
    if (!violations.isEmpty()) {
      throw new AssertionError(String.join("\n", violations));
    }
  }

  /** The next frame of any type. */
  public JsonObject next() {
    assertFramesKeptContract();
    if (!stash.isEmpty()) {
      return stash.pollFirst();
    }
    return poll();
  }

  private JsonObject poll() {
    try {
      JsonObject frame = frames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      assertFramesKeptContract();
      if (frame == null) {
        throw new AssertionError("no frame arrived within " + WAIT_SECONDS + " s");
      }
      return frame;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * The next frame of the given type; frames of other types before it stay available, in order, for
   * later calls.
   */
  public JsonObject next(String type) {
    assertFramesKeptContract();
    for (var it = stash.iterator(); it.hasNext(); ) {
      JsonObject frame = it.next();
      if (type.equals(frame.getString("type"))) {
        it.remove();
        return frame;
      }
    }
    while (true) {
      JsonObject frame = poll();
      if (type.equals(frame.getString("type"))) {
        return frame;
      }
      stash.addLast(frame);
    }
  }

  /** The next n frames of type "message", in the order they arrived. */
  public List<JsonObject> messages(int n) {
    List<JsonObject> messages = new ArrayList<>();
    while (messages.size() < n) {
      messages.add(next("message"));
    }
    return messages;
  }

  /** Asserts that no frame of that type arrives within the time; returns what did arrive. */
  public List<JsonObject> expectNone(String type, long millis) {
    List<JsonObject> seen = new ArrayList<>();
    for (JsonObject frame : stash) {
      if (type.equals(frame.getString("type"))) {
        throw new AssertionError("unexpected " + type + " frame: " + frame.encode());
      }
    }
    long deadline = System.currentTimeMillis() + millis;
    try {
      while (true) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return seen;
        }
        JsonObject frame = frames.poll(left, TimeUnit.MILLISECONDS);
        assertFramesKeptContract();
        if (frame == null) {
          return seen;
        }
        if (type.equals(frame.getString("type"))) {
          throw new AssertionError("unexpected " + type + " frame: " + frame.encode());
        }
        seen.add(frame);
        stash.addLast(frame);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Waits for the server to close the socket; answers the close code. */
  public short awaitClose() {
    try {
      Short code = closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertFramesKeptContract();
      return code == null ? -1 : code;
    } catch (Exception e) {
      throw new AssertionError("the socket was not closed within " + WAIT_SECONDS + " s", e);
    }
  }

  /** Every frame received and not yet read, without waiting. */
  public List<JsonObject> remaining() {
    List<JsonObject> rest = new ArrayList<>(stash);
    stash.clear();
    frames.drainTo(rest);
    assertFramesKeptContract();
    return rest;
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      ws.close();
    }
    client.close();
    assertFramesKeptContract();
  }
}
