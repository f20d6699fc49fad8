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
}
