package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.TestSocket;

/**
 * Whether a push is masked is the database's answer, not something a gateway remembers: a frame
 * published before a revocation (by another node, say) may reach a gateway after it, and goes out
 * masked both on a connection that saw the revocation and on one of a node started after it.
 */
class RevokedRoomPushTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  /** A room about a patient with one text message in it, revoked by the test. */
  record Revoked(CareNetwork.PatientRoom patientRoom, JsonObject message) {
    UUID room() {
      return patientRoom.room();
    }
  }

  static Revoked roomWithAMessage(CareNetwork network, String familyName) {
    CareNetwork.PatientRoom patientRoom = network.patientRoom(familyName);
    server.sendRest(network.anna(), patientRoom.room(), "Blutdruck 150/90");
    JsonObject message =
        server
            .api()
            .get("/api/v1/rooms/" + patientRoom.room() + "/messages", network.anna().accessToken())
            .json()
            .getJsonArray("messages")
            .getJsonObject(0);
    return new Revoked(patientRoom, message);
  }

  static void revoke(CareNetwork network, Revoked revoked) {
    UUID patient = revoked.patientRoom().patient();
    Api.Response answer =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=2026-11-20",
                network.anna().accessToken(),
                null,
                null);
    assertEquals(200, answer.status(), answer.body());
  }

  /** The message's frame again, as if published late, under the room's next sequence number. */
  static void publishLate(Revoked revoked, long seq) {
    String frame =
        new JsonObject()
            .put("type", "message")
            .mergeIn(revoked.message().copy())
            .put("seq", seq)
            .encode();
    new LiveEvents(server.serverVertx().eventBus()).message(revoked.room(), seq, frame);
  }

  static void assertMasked(JsonObject pushed, long seq) {
    assertEquals(seq, pushed.getLong("seq"));
    assertNull(pushed.getString("content"), pushed.encode());
    assertTrue(pushed.getBoolean("masked"));
  }

  @Test
  void aLateFrameOnAConnectionThatSawTheRevocationGoesOutMasked() {
    CareNetwork network = CareNetwork.create(server);
    Revoked revoked = roomWithAMessage(network, "Spaet");
    try (TestSocket tom = server.socket(network.tom())) {
      revoke(network, revoked);
      assertEquals(revoked.room().toString(), tom.next("revoked").getString("room"));
      assertEquals("system", tom.next("message").getString("kind"));
      publishLate(revoked, 3);
      assertMasked(tom.next("message"), 3);
    }
  }

  @Test
  void aNodeStartedAfterTheRevocationMasksALateFrameForTheRoom() {
    CareNetwork network = CareNetwork.create(server);
    Revoked revoked = roomWithAMessage(network, "Neustart");
    revoke(network, revoked);
    server.restart();
    try (TestSocket tom = server.socket(network.tom())) {
      publishLate(revoked, 3);
      assertMasked(tom.next("message"), 3);
    }
  }
}
