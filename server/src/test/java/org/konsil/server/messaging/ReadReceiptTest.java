package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.TestSocket;

/** The sender of a message learns, live and on request, how far the others have read the room. */
class ReadReceiptTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void organisations() {
    network = CareNetwork.create(server);
  }

  static Api.Response receipts(KonsilServer.Session who, UUID room) {
    return server.api().get("/api/v1/rooms/" + room + "/receipts", who.accessToken());
  }

  @Test
  void whenThePartnerReadsTheSenderGetsAReceiptLiveAndInTheList() {
    UUID room = server.room(network.anna(), network.careHome().id());
    server.sendRest(network.anna(), room, "Bitte Rückruf");
    long second = server.sendRest(network.anna(), room, "wegen Medikation");
    assertEquals(0, receipts(network.anna(), room).array().size(), "nobody has read yet");

    try (TestSocket a = server.socket(network.anna());
        TestSocket t = server.socket(network.tom())) {
      t.send(new JsonObject().put("type", "read").put("room", room.toString()).put("seq", second));
      JsonObject receipt = a.next("receipt");
      assertEquals(room.toString(), receipt.getString("room"));
      assertEquals(second, receipt.getLong("readSeq"));
      assertEquals(
          network.tom().userId().toString(), receipt.getJsonObject("user").getString("id"));
      assertEquals(
          network.careHome().name(),
          receipt.getJsonObject("user").getJsonObject("organisation").getString("name"));
      t.next("unread");
      t.expectNone("receipt", 300);
    }

    JsonArray list = receipts(network.anna(), room).array();
    assertEquals(1, list.size());
    assertEquals(second, list.getJsonObject(0).getLong("readSeq"));
    assertEquals(
        network.tom().userId().toString(),
        list.getJsonObject(0).getJsonObject("user").getString("id"));
    assertEquals(0, receipts(network.tom(), room).array().size(), "not one's own marker");
  }

  @Test
  void anOutsiderLearnsNothingAboutWhoReadARoom() {
    UUID room = server.room(network.anna(), network.careHome().id());
    long seq = server.sendRest(network.anna(), room, "intern");
    server
        .api()
        .put(
            "/api/v1/rooms/" + room + "/read",
            new JsonObject().put("seq", seq),
            network.tom().accessToken());
    Api.Response refused = receipts(network.eve(), room);
    assertEquals(403, refused.status());
    assertEquals("not_a_member", refused.code());
    try (TestSocket e = server.socket(network.eve())) {
      server
          .api()
          .put(
              "/api/v1/rooms/" + room + "/read",
              new JsonObject().put("seq", seq),
              network.anna().accessToken());
      e.expectNone("receipt", 300);
    }
  }
}
