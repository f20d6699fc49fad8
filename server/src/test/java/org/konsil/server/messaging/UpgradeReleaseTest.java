package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.internal.http.WebSocketInternal;
import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an accepted WebSocket lets go of from its HTTP upgrade ({@link
 * ClientConnection#releaseUpgrade}), on the Vert.x version Konsil ships: the field it clears must
 * exist under that name (else the memory per idle socket grows by 7 KiB again, see
 * bench/RESULTS.md), the idle-timeout handler is gone, and the socket still reads and writes.
 */
class UpgradeReleaseTest {

  Vertx vertx;
  HttpServer server;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theUpgradeIsReleasedAndTheSocketStillWorks() throws Exception {
    Promise<ChannelHandlerContext> accepted = Promise.promise();
    Promise<Boolean> released = Promise.promise();
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setIdleTimeout(30))
            .webSocketHandshakeHandler(handshake -> handshake.accept())
            .webSocketHandler(
                ws -> {
                  ChannelHandlerContext context = ((WebSocketInternal) ws).channelHandlerContext();
                  assertTrue(context.pipeline().get(IdleStateHandler.class) != null);
                  released.complete(ClientConnection.releaseUpgrade(context));
                  accepted.complete(context);
                  ws.textMessageHandler(text -> ws.writeTextMessage("echo " + text));
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);

    WebSocketClient client = vertx.createWebSocketClient();
    Promise<String> answer = Promise.promise();
    var socket = client.connect(server.actualPort(), "127.0.0.1", "/").await(10, TimeUnit.SECONDS);
    socket.textMessageHandler(answer::tryComplete);
    socket.writeTextMessage("hallo");

    assertEquals("echo hallo", answer.future().await(10, TimeUnit.SECONDS));
    assertTrue(released.future().await(10, TimeUnit.SECONDS), "the upgrade's factory was dropped");
    ChannelHandlerContext context = accepted.future().await(10, TimeUnit.SECONDS);
    Field factory =
        context.handler().getClass().getDeclaredField(ClientConnection.UPGRADE_FACTORY_FIELD);
    factory.setAccessible(true);
    assertNull(factory.get(context.handler()));
    assertNull(context.pipeline().get(IdleStateHandler.class));
  }

  /**
   * The socket's Vert.x write queue is replaced by one with small chunks ({@link
   * ClientConnection#shrinkWriteQueue}): the fields on the way to it must exist under those names,
   * and frames written from the event loop and from another thread at once, many chunks' worth, all
   * arrive, each writer's in its order.
   */
  @Test
  void theWriteQueueIsShrunkAndCarriesBurstsFromTwoThreads() throws Exception {
    int frames = 40 * ClientConnection.WRITE_QUEUE_CHUNK;
    Promise<Boolean> shrunk = Promise.promise();
    Promise<Object> queue = Promise.promise();
    server =
        vertx
            .createHttpServer()
            .webSocketHandler(
                ws -> {
                  Object before = writeQueue(ws);
                  shrunk.complete(ClientConnection.shrinkWriteQueue(ws));
                  Object after = writeQueue(ws);
                  queue.complete(after == before ? null : after);
                  ws.textMessageHandler(
                      go -> {
                        Thread other =
                            new Thread(
                                () -> {
                                  for (int i = 0; i < frames; i++) {
                                    ws.writeTextMessage("b" + i);
                                  }
                                });
                        other.start();
                        for (int i = 0; i < frames; i++) {
                          ws.writeTextMessage("a" + i);
                        }
                      });
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);

    WebSocketClient client = vertx.createWebSocketClient();
    var socket = client.connect(server.actualPort(), "127.0.0.1", "/").await(10, TimeUnit.SECONDS);
    java.util.List<String> received =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    Promise<Void> all = Promise.promise();
    socket.textMessageHandler(
        text -> {
          received.add(text);
          if (received.size() == 2 * frames) {
            all.tryComplete();
          }
        });
    socket.writeTextMessage("go");

    all.future().await(20, TimeUnit.SECONDS);
    assertTrue(shrunk.future().await(10, TimeUnit.SECONDS), "the write queue was replaced");
    assertTrue(queue.future().await(10, TimeUnit.SECONDS) != null, "a new queue is in place");
    synchronized (received) {
      for (String writer : new String[] {"a", "b"}) {
        java.util.List<String> own = received.stream().filter(t -> t.startsWith(writer)).toList();
        assertEquals(frames, own.size());
        for (int i = 0; i < frames; i++) {
          assertEquals(writer + i, own.get(i));
        }
      }
    }
  }

  /** The queue at the end of {@link ClientConnection#WRITE_QUEUE_PATH}, read by reflection. */
  private static Object writeQueue(Object ws) {
    Object at = ws;
    for (String[] step : ClientConnection.WRITE_QUEUE_PATH) {
      Field field = ClientConnection.field(step[0], step[1]);
      assertTrue(field != null, "Vert.x has " + step[0] + "." + step[1]);
      try {
        at = field.get(at);
      } catch (IllegalAccessException e) {
        throw new AssertionError(e);
      }
    }
    return at;
  }
}
