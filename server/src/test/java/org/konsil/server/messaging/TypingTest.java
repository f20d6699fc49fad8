package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.TestSocket;

/** Typing is relayed at most once every two seconds per room and sender, by the server's clock. */
class TypingTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static JsonObject typing(UUID room) {
    return new JsonObject().put("type", "typing").put("room", room.toString());
  }

  @Test
  void typingAgainWithinTwoSecondsOfTheInjectedClockIsNotRelayedAndAfterThemItIs() {
    CareNetwork network = CareNetwork.create(server);
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket anna = server.socket(network.anna());
        TestSocket tom = server.socket(network.tom())) {
      anna.send(typing(room));
      assertEquals("typing", tom.next().getString("type"));

      server.clock.advance(Duration.ofMillis(1_999));
      anna.send(typing(room));
      // Anna's frames are handled in order and typing is relayed at once, a message only after its
      // commit: a relayed second typing would reach Tom before the message.
      anna.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "Ich tippe noch"));
      anna.next("ack");
      assertEquals("message", tom.next().getString("type"), "the second typing was not relayed");

      server.clock.advance(Duration.ofMillis(1));
      anna.send(typing(room));
      JsonObject relayed = tom.next();
      assertEquals("typing", relayed.getString("type"), "two seconds on, typing is relayed again");
      assertEquals(
          network.anna().userId().toString(), relayed.getJsonObject("sender").getString("id"));
    }
  }
}
