package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;

/**
 * Replies quote an earlier message of the same room; a sender corrects their own text message
 * within 15 minutes, as a new message linked to the first, which stays as it was sent.
 */
class ReplyAndCorrectionTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void organisations() {
    network = CareNetwork.create(server);
  }

  static Api.Response post(Session who, UUID room, String content, String field, Object target) {
    JsonObject body =
        new JsonObject().put("clientMsgId", UUID.randomUUID().toString()).put("content", content);
    if (field != null) {
      body.put(field, target.toString());
    }
    return server.api().post("/api/v1/rooms/" + room + "/messages", body, who.accessToken());
  }

  static JsonArray history(Session who, UUID room) {
    Api.Response page = server.api().get("/api/v1/rooms/" + room + "/messages", who.accessToken());
    assertEquals(200, page.status(), page.body());
    return page.json().getJsonArray("messages");
  }

  static JsonObject bySeq(JsonArray messages, long seq) {
    for (Object item : messages) {
      JsonObject message = (JsonObject) item;
      if (message.getLong("seq") == seq) {
        return message;
      }
    }
    throw new AssertionError("no message " + seq + " in " + messages.encode());
  }

  static long messagesIn(UUID room) {
    return server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
  }

  @Test
  void aReplyQuotesTheEarlierMessageLiveAndInHistory() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket a = server.socket(network.anna());
        TestSocket t = server.socket(network.tom())) {
      Api.Response first = post(network.anna(), room, "Bitte Verband wechseln.", null, null);
      assertEquals(201, first.status(), first.body());
      UUID firstId = UUID.fromString(first.json().getString("id"));
      t.next("message");
      a.next("message");

      t.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "Erledigt, Wunde reizlos.")
              .put("replyTo", firstId.toString()));
      long seq = t.next("ack").getLong("seq");

      JsonObject pushed = a.next("message");
      assertEquals(seq, pushed.getLong("seq"));
      JsonObject quote = pushed.getJsonObject("replyTo");
      assertEquals(firstId.toString(), quote.getString("id"));
      assertEquals(1, quote.getLong("seq"));
      assertEquals("Bitte Verband wechseln.", quote.getString("excerpt"));
      assertEquals("text", quote.getString("kind"));

      JsonObject stored = bySeq(history(network.anna(), room), seq);
      assertEquals(quote, stored.getJsonObject("replyTo"));
      assertEquals("Erledigt, Wunde reizlos.", stored.getString("content"));
    }
  }

  @Test
  void aQuoteFromAnotherRoomOrOrganisationIsRefusedAndNothingIsStored() {
    UUID room = server.room(network.anna(), network.careHome().id());
    UUID otherRoom = server.room(network.anna(), network.careHome().id());
    UUID evesRoom = server.room(network.eve());
    UUID evesMessage =
        UUID.fromString(post(network.eve(), evesRoom, "intern", null, null).json().getString("id"));
    UUID otherMessage =
        UUID.fromString(
            post(network.anna(), otherRoom, "anderer Raum", null, null).json().getString("id"));
    UUID ownMessage =
        UUID.fromString(post(network.anna(), room, "hier", null, null).json().getString("id"));

    for (UUID foreign : new UUID[] {evesMessage, otherMessage, UUID.randomUUID()}) {
      Api.Response refused = post(network.anna(), room, "Antwort", "replyTo", foreign);
      assertEquals(422, refused.status(), refused.body());
      assertEquals("quoted_message_not_found", refused.code());
    }
    // Eve, outside the room, learns nothing about its messages
    Api.Response outsider = post(network.eve(), room, "Antwort", "replyTo", ownMessage);
    assertEquals(403, outsider.status());
    assertEquals("not_a_member", outsider.code());
    Api.Response both = post(network.anna(), room, "beides", "replyTo", ownMessage);
    assertEquals(201, both.status());
    JsonObject twoRelations =
        new JsonObject()
            .put("clientMsgId", UUID.randomUUID().toString())
            .put("content", "beides")
            .put("replyTo", ownMessage.toString())
            .put("corrects", ownMessage.toString());
    Api.Response refused =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages", twoRelations, network.anna().accessToken());
    assertEquals(422, refused.status());
    assertEquals("validation_failed", refused.code());
    assertEquals(2, messagesIn(room), "only the first message and the good reply are stored");
    assertEquals(1, messagesIn(evesRoom));
  }

  @Test
  void aCorrectionKeepsTheOriginalAndPartnersSeeItCorrectedLiveAndInHistory() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket t = server.socket(network.tom())) {
      Api.Response original = post(network.anna(), room, "Metoprolol 95 mg morgens", null, null);
      UUID originalId = UUID.fromString(original.json().getString("id"));
      t.next("message");

      Api.Response correction =
          post(network.anna(), room, "Metoprolol 47,5 mg morgens", "corrects", originalId);
      assertEquals(201, correction.status(), correction.body());

      JsonObject pushed = t.next("message");
      assertEquals(originalId.toString(), pushed.getString("corrects"));
      assertEquals("Metoprolol 47,5 mg morgens", pushed.getString("content"));
      assertEquals(2, pushed.getLong("seq"), "a correction is a message of its own");

      JsonArray messages = history(network.tom(), room);
      assertEquals(2, messages.size());
      JsonObject first = bySeq(messages, 1);
      assertEquals("Metoprolol 95 mg morgens", first.getString("content"), "never overwritten");
      assertEquals(
          "Metoprolol 47,5 mg morgens", first.getJsonObject("correction").getString("content"));
      assertEquals(2, first.getJsonObject("correction").getLong("seq"));
      assertEquals(originalId.toString(), bySeq(messages, 2).getString("corrects"));
    }
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE id = '"
                + originalId(room)
                + "' AND content = 'Metoprolol 95 mg morgens'"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'message.corrected'"
                + " AND object_id = '"
                + originalId(room)
                + "' AND details LIKE '%"
                + room
                + "%'"));
  }

  static String originalId(UUID room) {
    return server
        .api()
        .get("/api/v1/rooms/" + room + "/messages?limit=1&after=0", network.anna().accessToken())
        .json()
        .getJsonArray("messages")
        .getJsonObject(0)
        .getString("id");
  }

  @Test
  void onlyTheSenderCorrectsOnlyTheirOwnTextMessages() {
    UUID room = server.room(network.anna(), network.careHome().id());
    UUID annas =
        UUID.fromString(
            post(network.anna(), room, "Termin Dienstag", null, null).json().getString("id"));
    Api.Response byTom = post(network.tom(), room, "Termin Mittwoch", "corrects", annas);
    assertEquals(403, byTom.status());
    assertEquals("correction_not_own", byTom.code());
    Api.Response byEve = post(network.eve(), room, "Termin Mittwoch", "corrects", annas);
    assertEquals(403, byEve.status());
    assertEquals("not_a_member", byEve.code());

    UUID correction =
        UUID.fromString(
            post(network.anna(), room, "Termin Mittwoch", "corrects", annas)
                .json()
                .getString("id"));
    Api.Response ofCorrection = post(network.anna(), room, "Donnerstag", "corrects", correction);
    assertEquals(422, ofCorrection.status());
    assertEquals("corrected_message_not_found", ofCorrection.code());
    Api.Response elsewhere = post(network.anna(), room, "x", "corrects", UUID.randomUUID());
    assertEquals("corrected_message_not_found", elsewhere.code());
    assertEquals(2, messagesIn(room));

    // over the socket the same refusal comes as an error frame, and the socket stays usable
    try (TestSocket t = server.socket(network.tom())) {
      String clientMsgId = UUID.randomUUID().toString();
      t.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", clientMsgId)
              .put("content", "Termin Freitag")
              .put("corrects", annas.toString()));
      JsonObject error = t.next("error");
      assertEquals("correction_not_own", error.getString("code"));
      assertEquals(clientMsgId, error.getString("clientMsgId"));
    }
    assertEquals(2, messagesIn(room));
  }

  @Test
  void aRetriedCorrectionIsStoredOnce() {
    UUID room = server.room(network.anna(), network.careHome().id());
    UUID original =
        UUID.fromString(
            post(network.anna(), room, "Blutzucker 310", null, null).json().getString("id"));
    JsonObject body =
        new JsonObject()
            .put("clientMsgId", UUID.randomUUID().toString())
            .put("content", "Blutzucker 130")
            .put("corrects", original.toString());
    String path = "/api/v1/rooms/" + room + "/messages";
    Api.Response first = server.api().post(path, body, network.anna().accessToken());
    Api.Response again = server.api().post(path, body, network.anna().accessToken());
    assertEquals(201, first.status(), first.body());
    assertEquals(200, again.status(), again.body());
    assertTrue(again.json().getBoolean("duplicate"));
    assertEquals(first.json().getLong("seq"), again.json().getLong("seq"));
    assertEquals(2, messagesIn(room));
  }

  @Test
  void aCorrectionIsPossibleForFifteenMinutesAndRefusedAfter() {
    UUID room = server.room(network.anna(), network.careHome().id());
    UUID original =
        UUID.fromString(
            post(network.anna(), room, "Visite 10 Uhr", null, null).json().getString("id"));
    Duration window = Duration.ofMinutes(15);
    server.clock.advance(window);
    try {
      Session anna = server.login(network.anna().user());
      Api.Response inTime = post(anna, room, "Visite 11 Uhr", "corrects", original);
      assertEquals(201, inTime.status(), inTime.body());
      server.clock.advance(Duration.ofSeconds(1));
      Session later = server.login(network.anna().user());
      Api.Response late = post(later, room, "Visite 12 Uhr", "corrects", original);
      assertEquals(409, late.status());
      assertEquals("correction_too_late", late.code());
      assertEquals(2, messagesIn(room));
    } finally {
      server.clock.advance(window.plusSeconds(1).negated());
    }
  }

  @Test
  void inARevokedRoomNothingIsCorrectedAndQuotesAndCorrectionsAreMasked() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Korrektur");
    UUID room = patientRoom.room();
    UUID original =
        UUID.fromString(
            post(network.anna(), room, "RR 180/100", null, null).json().getString("id"));
    assertEquals(201, post(network.anna(), room, "RR 130/80", "corrects", original).status());
    assertEquals(201, post(network.tom(), room, "Danke", "replyTo", original).status());

    Api.Response revoked =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patientRoom.patient() + "/revocation?date=2026-11-20",
                network.anna().accessToken(),
                null,
                null);
    assertEquals(200, revoked.status(), revoked.body());

    Api.Response refused = post(network.anna(), room, "RR 120/80", "corrects", original);
    assertEquals(409, refused.status());
    assertEquals("consent_revoked", refused.code());

    JsonArray messages = history(network.tom(), room);
    JsonObject first = bySeq(messages, 1);
    assertTrue(first.getBoolean("masked"));
    assertNull(first.getValue("content"));
    assertNull(first.getJsonObject("correction").getValue("content"));
    JsonObject reply = bySeq(messages, 3);
    assertNull(reply.getJsonObject("replyTo").getValue("excerpt"));
    assertFalse(messages.encode().contains("RR 1"), "nothing of the texts is shown");
  }
}
