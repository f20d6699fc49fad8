package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/**
 * An encrypted patient room keeps the consent rules, and a revocation there stops delivery: new
 * envelopes are refused, the envelopes no device confirmed are dropped, and the revoked event goes
 * out as in plain rooms.
 */
class EncryptedRevocationTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_PREKEY_FETCH_LIMIT", "1000");

  static Api.Response encryptedPatientRoom(Session anna, UUID patient, UUID partner) {
    return server
        .api()
        .post(
            "/api/v1/rooms",
            new JsonObject()
                .put("kind", "patient")
                .put("patientId", patient.toString())
                .put("title", "Wundversorgung")
                .put("encrypted", true)
                .put("partnerOrganisationIds", new JsonArray().add(partner.toString())),
            anna.accessToken());
  }

  static long envelopes(UUID room, UUID user, long seq) {
    return server.count(
        "SELECT count(*) FROM message_envelopes WHERE room_id = '"
            + room
            + "' AND recipient_user_id = '"
            + user
            + "' AND seq = "
            + seq);
  }

  @Test
  void anEncryptedPatientRoomNeedsConsentAndARevocationStopsDelivery() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    Session anna = server.login(practice.admin());
    Session tom = server.login(careHome.admin());
    UUID patient = server.patient(anna, "Krause");

    // no consent, no room: encrypted or not
    Api.Response withoutConsent = encryptedPatientRoom(anna, patient, careHome.id());
    assertEquals(409, withoutConsent.status(), withoutConsent.body());
    assertEquals("consent_required", withoutConsent.code());
    assertEquals(
        201,
        server
            .uploadConsent(anna, patient, Documents.pdf(), "application/pdf", careHome.id())
            .status());
    Api.Response created = encryptedPatientRoom(anna, patient, careHome.id());
    assertEquals(201, created.status(), created.body());
    assertTrue(created.json().getBoolean("encrypted"));
    assertEquals("patient", created.json().getString("kind"));
    UUID room = UUID.fromString(created.json().getString("id"));

    E2eDevice laptop = E2eDevice.register(server, anna);
    E2eDevice tomsPc = E2eDevice.register(server, tom);
    E2eDevice tomsPhone = E2eDevice.register(server, tom);

    try (TestSocket annaWs = laptop.socket()) {
      // Tom's PC receives the first message and confirms it; his phone never connects
      try (TestSocket tomWs = tomsPc.socket()) {
        laptop.send(
            room, UUID.randomUUID(), laptop.seal("Dekubitus Grad 2", List.of(tomsPc, tomsPhone)));
        JsonObject first = tomWs.next("message");
        assertEquals("Dekubitus Grad 2", tomsPc.open(first));
        tomWs.send(
            new JsonObject()
                .put("type", "received")
                .put("room", room.toString())
                .put("seq", first.getLong("seq")));
        Waiting.until(
            () ->
                server.count(
                        "SELECT count(*) FROM device_room_positions WHERE room_id = '"
                            + room
                            + "' AND device_id = "
                            + tomsPc.deviceId
                            + " AND seq = 1")
                    == 1,
            "Tom's PC confirms the first message");
      }
      // the second message waits for both of Tom's devices, unconfirmed
      Api.Response second =
          laptop.send(
              room, UUID.randomUUID(), laptop.seal("Wunde nässt", List.of(tomsPc, tomsPhone)));
      assertEquals(201, second.status(), second.body());
      assertEquals(2, envelopes(room, tom.userId(), 2));

      Api.Response revoked =
          server
              .api()
              .send(
                  HttpMethod.POST,
                  "/api/v1/patients/" + patient + "/revocation?date=2026-11-20",
                  anna.accessToken(),
                  null,
                  null);
      assertEquals(200, revoked.status(), revoked.body());
      assertEquals(room.toString(), annaWs.next("revoked").getString("room"));

      // what no device confirmed is gone; what Tom's PC confirmed stays (as ciphertext only)
      assertEquals(0, envelopes(room, tom.userId(), 2));
      assertEquals(1, envelopes(room, tom.userId(), 1));
      assertEquals(
          0,
          server.count(
              "SELECT count(*) FROM message_envelopes WHERE room_id = '"
                  + room
                  + "' AND recipient_device = "
                  + tomsPhone.deviceId));

      // no new envelopes
      Api.Response refused =
          laptop.send(
              room, UUID.randomUUID(), laptop.seal("noch etwas", List.of(tomsPc, tomsPhone)));
      assertEquals(409, refused.status(), refused.body());
      assertEquals("consent_revoked", refused.code());

      // every device reads the room masked, without envelopes, the notice readable
      for (E2eDevice device : List.of(tomsPc, tomsPhone)) {
        JsonArray history = device.history(room, 0);
        assertEquals(3, history.size());
        for (int i = 0; i < 2; i++) {
          assertTrue(history.getJsonObject(i).getBoolean("masked"));
          assertNull(history.getJsonObject(i).getValue("envelope"));
        }
        assertEquals("system", history.getJsonObject(2).getString("kind"));
      }
      try (TestSocket phoneWs = tomsPhone.socket()) {
        phoneWs.send(
            new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 0));
        for (JsonObject message : phoneWs.messages(3)) {
          assertNull(message.getValue("envelope"));
        }
      }
    }
  }
}
