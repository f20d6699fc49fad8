package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.TestSocket;

/** A client that stops reading is cut off with 4008; everyone else keeps receiving. */
class SlowClientTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  @Test
  void aStalledClientIsCutOffWithoutSlowingTheOthers() throws Exception {
    UUID busy = server.room(network.anna(), network.careHome().id());
    try (TestSocket stalled =
            server.socketWith(
                network.tom(), new WebSocketClientOptions().setReceiveBufferSize(4096));
        TestSocket healthy = server.socket(server.login(server.user(network.careHome())));
        TestSocket sender = server.socket(network.anna())) {
      stalled.raw().pause();
      String big = "y".repeat(MessagingService.MAX_CONTENT_LENGTH);
      int count = 600;
      for (int i = 0; i < count; i++) {
        sender.send(
            new JsonObject()
                .put("type", "send")
                .put("room", busy.toString())
                .put("clientMsgId", UUID.randomUUID().toString())
                .put("content", big));
      }
      List<JsonObject> received = healthy.messages(count);
      assertEquals(count, received.get(count - 1).getLong("seq"));
      stalled.raw().resume();
      assertEquals(4008, stalled.awaitClose());
    }
    assertEquals(600, server.count("SELECT count(*) FROM messages WHERE room_id = '" + busy + "'"));
  }
}
