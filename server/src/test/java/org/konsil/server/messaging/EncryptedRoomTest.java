package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.TestSocket;

/**
 * End-to-end encrypted rooms on the server: created as such for ever, plaintext refused, one
 * envelope per device checked against the room's devices, each device given only its own envelope
 * live, in history and on sync, and nothing for those outside the room. Envelopes are real
 * libsignal ciphertexts, opened by the receiving devices.
 */
class EncryptedRoomTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_PREKEY_FETCH_LIMIT", "1000");

  /** A practice and a care home of their own (a room's devices are all of its members'). */
  record Team(TestOrg practice, TestOrg careHome, Session anna, Session tom) {}

  static Team team() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    return new Team(
        practice, careHome, server.login(practice.admin()), server.login(careHome.admin()));
  }

  static Api.Response createRoom(Session creator, boolean encrypted, UUID... partners) {
    JsonArray ids = new JsonArray();
    for (UUID partner : partners) {
      ids.add(partner.toString());
    }
    return server
        .api()
        .post(
            "/api/v1/rooms",
            new JsonObject()
                .put("title", "Wundversorgung")
                .put("partnerOrganisationIds", ids)
                .put("encrypted", encrypted),
            creator.accessToken());
  }

  static UUID encryptedRoom(Team team) {
    Api.Response created = createRoom(team.anna(), true, team.careHome().id());
    assertEquals(201, created.status(), created.body());
    return UUID.fromString(created.json().getString("id"));
  }

  static long messagesIn(UUID room) {
    return server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
  }

  static JsonObject sendFrame(UUID room, UUID clientMsgId, JsonArray envelopes) {
    return new JsonObject()
        .put("type", "send")
        .put("room", room.toString())
        .put("clientMsgId", clientMsgId.toString())
        .put("envelopes", envelopes);
  }

  @Test
  void anEncryptedRoomStaysEncryptedAndRefusesPlaintext() {
    Team team = team();
    Api.Response created = createRoom(team.anna(), true, team.careHome().id());
    assertEquals(201, created.status(), created.body());
    assertTrue(created.json().getBoolean("encrypted"));
    UUID room = UUID.fromString(created.json().getString("id"));
    Api.Response plain = createRoom(team.anna(), false, team.careHome().id());
    assertFalse(plain.json().getBoolean("encrypted"));
    UUID plainRoom = UUID.fromString(plain.json().getString("id"));

    // the partner sees it encrypted, in the list and alone
    JsonArray rooms = server.api().get("/api/v1/rooms", team.tom().accessToken()).array();
    JsonObject listed =
        rooms.stream()
            .map(JsonObject.class::cast)
            .filter(r -> r.getString("id").equals(room.toString()))
            .findFirst()
            .orElseThrow();
    assertTrue(listed.getBoolean("encrypted"));
    assertTrue(
        server
            .api()
            .get("/api/v1/rooms/" + room, team.tom().accessToken())
            .json()
            .getBoolean("encrypted"));

    // plain text over REST, over the socket, and a plain attachment are refused
    Api.Response text =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("content", "Blutzucker 312 mg/dl"),
                team.anna().accessToken());
    assertEquals(409, text.status(), text.body());
    assertEquals("encryption_required", text.code());
    try (TestSocket socket = server.socket(team.anna())) {
      socket.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "Blutzucker 312 mg/dl"));
      assertEquals("encryption_required", socket.next("error").getString("code"));
    }
    Api.Response file =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/" + room + "/attachments?clientMsgId=" + UUID.randomUUID(),
                team.anna().accessToken(),
                "application/pdf",
                Documents.pdf());
    assertEquals(409, file.status(), file.body());
    assertEquals("encryption_required", file.code());
    assertEquals(0, messagesIn(room));
    assertEquals(
        0, server.count("SELECT count(*) FROM attachments WHERE room_id = '" + room + "'"));

    // envelopes into a plain room are refused too
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());
    Api.Response sealed =
        laptop.send(plainRoom, UUID.randomUUID(), laptop.seal("Hallo", List.of(tomsPc)));
    assertEquals(409, sealed.status(), sealed.body());
    assertEquals("room_not_encrypted", sealed.code());
    assertEquals(0, messagesIn(plainRoom));

    // nothing turns it into a plain room, not even a statement on the database
    IllegalStateException downgrade =
        assertThrows(
            IllegalStateException.class,
            () ->
                TestDatabase.execute(
                    server.database(),
                    "UPDATE rooms SET encrypted = false WHERE id = '" + room + "'"));
    assertTrue(downgrade.getCause().getMessage().contains("encryption cannot change"));
    assertTrue(
        server
            .api()
            .get("/api/v1/rooms/" + room, team.anna().accessToken())
            .json()
            .getBoolean("encrypted"));
  }

  @Test
  void aBadEnvelopeListIsRefusedAndNothingIsStored() {
    Team team = team();
    UUID room = encryptedRoom(team);
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());
    JsonObject good = laptop.seal("Verbandswechsel", List.of(tomsPc)).getJsonObject(0);

    List<JsonObject> bad =
        List.of(
            new JsonObject().put("envelopes", "none").put("device", laptop.deviceId),
            new JsonObject().put("envelopes", new JsonArray()).put("device", laptop.deviceId),
            new JsonObject()
                .put("envelopes", new JsonArray().add(good.copy().put("type", 1)))
                .put("device", laptop.deviceId),
            new JsonObject()
                .put("envelopes", new JsonArray().add(good.copy().put("ciphertext", "@@@")))
                .put("device", laptop.deviceId),
            new JsonObject()
                .put("envelopes", new JsonArray().add(good.copy().put("deviceId", 128)))
                .put("device", laptop.deviceId),
            new JsonObject()
                .put("envelopes", new JsonArray().add(good).add(good.copy()))
                .put("device", laptop.deviceId),
            new JsonObject().put("envelopes", new JsonArray().add(good)),
            new JsonObject()
                .put("envelopes", new JsonArray().add(good))
                .put("device", laptop.deviceId)
                .put("content", "beides"));
    for (JsonObject body : bad) {
      Api.Response refused =
          server
              .api()
              .post(
                  "/api/v1/rooms/" + room + "/messages",
                  body.put("clientMsgId", UUID.randomUUID().toString()),
                  team.anna().accessToken());
      assertEquals(422, refused.status(), body.encode() + " " + refused.body());
      assertEquals("validation_failed", refused.code(), refused.body());
    }

    // a device that is not the sender's own
    Api.Response foreignDevice =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("device", 99)
                    .put("envelopes", new JsonArray().add(good)),
                team.anna().accessToken());
    assertEquals(422, foreignDevice.status(), foreignDevice.body());
    assertEquals("unknown_device", foreignDevice.code());

    // a socket without a device cannot send envelopes
    try (TestSocket plainSocket = server.socket(team.anna())) {
      plainSocket.send(sendFrame(room, UUID.randomUUID(), new JsonArray().add(good)));
      JsonObject error = plainSocket.next("error");
      assertEquals("validation_failed", error.getString("code"));
    }
    assertEquals(0, messagesIn(room));
    assertEquals(
        0, server.count("SELECT count(*) FROM message_envelopes WHERE room_id = '" + room + "'"));
  }

  @Test
  void eachDeviceReceivesOnlyItsOwnEnvelopeLiveInHistoryAndOnSync() {
    Team team = team();
    UUID room = encryptedRoom(team);
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice phone = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());

    try (TestSocket laptopWs = laptop.socket();
        TestSocket phoneWs = phone.socket();
        TestSocket tomWs = tomsPc.socket();
        TestSocket tomWithoutDevice = server.socket(team.tom())) {
      String first = "Frau K. hat seit gestern Fieber, 38,9 °C.";
      UUID clientMsgId = UUID.randomUUID();
      laptopWs.send(sendFrame(room, clientMsgId, laptop.seal(first, List.of(phone, tomsPc))));
      JsonObject ack = laptopWs.next("ack");
      assertEquals(1, ack.getLong("seq"));
      assertFalse(ack.getBoolean("duplicate"));

      JsonObject onPhone = phoneWs.next("message");
      assertEquals("encrypted", onPhone.getString("kind"));
      assertNull(onPhone.getValue("content"));
      assertEquals(laptop.deviceId, onPhone.getInteger("senderDevice"));
      assertFalse(onPhone.encode().contains("envelopes"), onPhone.encode());
      assertEquals(first, phone.open(onPhone));
      JsonObject onTomsPc = tomWs.next("message");
      assertEquals(first, tomsPc.open(onTomsPc));
      assertFalse(
          onPhone
              .getJsonObject("envelope")
              .getString("ciphertext")
              .equals(onTomsPc.getJsonObject("envelope").getString("ciphertext")));
      // a connection without a device learns that a message came, and nothing of it
      JsonObject withoutDevice = tomWithoutDevice.next("message");
      assertEquals(1, withoutDevice.getLong("seq"));
      assertNull(withoutDevice.getValue("envelope"));
      assertNull(withoutDevice.getValue("content"));
      // the sending device has no envelope of its own message
      JsonObject own = laptopWs.next("message");
      assertEquals(1, own.getLong("seq"));
      assertNull(own.getValue("envelope"));

      // Tom answers over REST; both of Anna's devices read it
      String answer = "Danke, ich schaue heute Nachmittag vorbei.";
      Api.Response sent =
          tomsPc.send(room, UUID.randomUUID(), tomsPc.seal(answer, List.of(laptop, phone)));
      assertEquals(201, sent.status(), sent.body());
      assertEquals(answer, laptop.open(laptopWs.next("message")));
      assertEquals(answer, phone.open(phoneWs.next("message")));
      assertNull(tomWs.next("message").getValue("envelope"));

      // history and sync give each device the same envelope again, and only its own
      JsonArray tomsHistory = tomsPc.history(room, 0);
      assertEquals(2, tomsHistory.size());
      assertEquals(
          onTomsPc.getJsonObject("envelope"),
          tomsHistory.getJsonObject(0).getJsonObject("envelope"));
      assertNull(tomsHistory.getJsonObject(1).getValue("envelope"));
      JsonArray phoneHistory = phone.history(room, 0);
      assertEquals(
          onPhone.getJsonObject("envelope"),
          phoneHistory.getJsonObject(0).getJsonObject("envelope"));
      assertNotNull(phoneHistory.getJsonObject(1).getJsonObject("envelope"));
      JsonArray withoutDeviceHistory =
          server
              .api()
              .get("/api/v1/rooms/" + room + "/messages", team.tom().accessToken())
              .json()
              .getJsonArray("messages");
      assertNull(withoutDeviceHistory.getJsonObject(0).getValue("envelope"));
      // a device number that is not one of the reader's own reads nothing
      Api.Response notMine =
          server
              .api()
              .get(
                  "/api/v1/rooms/" + room + "/messages?device=" + phone.deviceId + "&after=0",
                  team.tom().accessToken());
      assertEquals(422, notMine.status(), notMine.body());
      assertEquals("unknown_device", notMine.code());
      try (TestSocket tomAgain = tomsPc.socket()) {
        tomAgain.send(
            new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 0));
        List<JsonObject> replay = tomAgain.messages(2);
        assertEquals(onTomsPc.getJsonObject("envelope"), replay.get(0).getJsonObject("envelope"));
        assertNull(replay.get(1).getValue("envelope"));
        assertEquals(2, tomAgain.next("synced").getLong("seq"));
      }
      assertEquals(
          4, server.count("SELECT count(*) FROM message_envelopes WHERE room_id = '" + room + "'"));
    }
  }

  @Test
  void aStaleDeviceListIsRefusedWithMissingAndExtraAndTheRetryIsStoredOnce() {
    Team team = team();
    UUID room = encryptedRoom(team);
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());

    try (TestSocket annaWs = laptop.socket();
        TestSocket tomWs = tomsPc.socket()) {
      annaWs.send(sendFrame(room, UUID.randomUUID(), laptop.seal("eins", List.of(tomsPc))));
      assertEquals(1, annaWs.next("ack").getLong("seq"));
      assertEquals("eins", tomsPc.open(tomWs.next("message")));

      // Tom adds a tablet mid-conversation; Anna's connection is told
      E2eDevice tablet = E2eDevice.register(server, team.tom());
      JsonObject changed = annaWs.next("devices_changed");
      assertEquals(team.tom().userId().toString(), changed.getString("userId"));
      assertEquals(tablet.deviceId, changed.getInteger("deviceId"));
      assertEquals("added", changed.getString("change"));

      // Anna's client still addresses the old list, and a device that is no one's
      UUID clientMsgId = UUID.randomUUID();
      JsonArray stale = laptop.seal("zwei", List.of(tomsPc));
      stale.add(stale.getJsonObject(0).copy().put("deviceId", 77));
      annaWs.send(sendFrame(room, clientMsgId, stale));
      JsonObject refused = annaWs.next("error");
      assertEquals("devices_changed", refused.getString("code"));
      assertEquals(clientMsgId.toString(), refused.getString("clientMsgId"));
      assertEquals(
          new JsonArray()
              .add(
                  new JsonObject()
                      .put("userId", team.tom().userId().toString())
                      .put("deviceId", tablet.deviceId)),
          refused.getJsonArray("missing"));
      assertEquals(
          new JsonArray()
              .add(
                  new JsonObject()
                      .put("userId", team.tom().userId().toString())
                      .put("deviceId", 77)),
          refused.getJsonArray("extra"));
      assertEquals(1, messagesIn(room));

      // the same over REST names them the same way
      Api.Response restRefused = laptop.send(room, clientMsgId, stale);
      assertEquals(409, restRefused.status(), restRefused.body());
      assertEquals("devices_changed", restRefused.code());
      assertEquals(refused.getJsonArray("missing"), restRefused.json().getJsonArray("missing"));
      assertEquals(refused.getJsonArray("extra"), restRefused.json().getJsonArray("extra"));

      // the retry with the same clientMsgId and the corrected list is stored
      JsonArray corrected = new JsonArray().add(stale.getJsonObject(0));
      corrected.add(laptop.sealFor("zwei", team.tom().userId(), tablet.deviceId));
      annaWs.send(sendFrame(room, clientMsgId, corrected));
      JsonObject ack = annaWs.next("ack");
      assertEquals(2, ack.getLong("seq"));
      assertFalse(ack.getBoolean("duplicate"));
      assertEquals("zwei", tomsPc.open(tomWs.next("message")));

      // and sent once more (its ack was lost), with whatever list, it is the same message
      Api.Response again = laptop.send(room, clientMsgId, stale);
      assertEquals(200, again.status(), again.body());
      assertTrue(again.json().getBoolean("duplicate"));
      assertEquals(2, again.json().getLong("seq"));
      assertEquals(2, messagesIn(room));

      // the tablet gets the messages from when it was added; the earlier one has no envelope
      try (TestSocket tabletWs = tablet.socket()) {
        tabletWs.send(
            new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 0));
        List<JsonObject> replay = tabletWs.messages(2);
        assertNull(replay.get(0).getValue("envelope"));
        assertEquals("zwei", tablet.open(replay.get(1)));
        tabletWs.next("synced");
        annaWs.send(
            sendFrame(room, UUID.randomUUID(), laptop.seal("drei", List.of(tomsPc, tablet))));
        assertEquals(3, annaWs.next("ack").getLong("seq"));
        assertEquals("drei", tablet.open(tabletWs.next("message")));
        assertEquals("drei", tomsPc.open(tomWs.next("message")));

        // Tom removes the tablet: its socket ends, Anna is told, the tablet is extra from now on
        Api.Response removed =
            server
                .api()
                .send(
                    HttpMethod.DELETE,
                    "/api/v1/devices/" + tablet.deviceId,
                    team.tom().accessToken(),
                    null,
                    null);
        assertEquals(204, removed.status(), removed.body());
        assertEquals("device_removed", tabletWs.next("error").getString("code"));
        assertEquals(4003, tabletWs.awaitClose());
      }
      JsonObject gone = annaWs.next("devices_changed");
      assertEquals("removed", gone.getString("change"));
      Api.Response tooMany =
          laptop.send(room, UUID.randomUUID(), laptop.seal("vier", List.of(tomsPc, tablet)));
      assertEquals(409, tooMany.status(), tooMany.body());
      assertEquals(
          tablet.deviceId,
          tooMany.json().getJsonArray("extra").getJsonObject(0).getInteger("deviceId"));
      assertTrue(tooMany.json().getJsonArray("missing").isEmpty());
    }
  }

  @Test
  void aDeviceResumesAfterReconnectingWithoutGapOrDuplicate() {
    Team team = team();
    UUID room = encryptedRoom(team);
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());

    long seen;
    try (TestSocket tomWs = tomsPc.socket()) {
      laptop.send(room, UUID.randomUUID(), laptop.seal("m1", List.of(tomsPc)));
      JsonObject first = tomWs.next("message");
      assertEquals("m1", tomsPc.open(first));
      seen = first.getLong("seq");
      tomWs.send(
          new JsonObject().put("type", "received").put("room", room.toString()).put("seq", seen));
    }
    for (int i = 2; i <= 4; i++) {
      Api.Response sent =
          laptop.send(room, UUID.randomUUID(), laptop.seal("m" + i, List.of(tomsPc)));
      assertEquals(201, sent.status(), sent.body());
    }
    try (TestSocket tomWs = tomsPc.socket()) {
      tomWs.send(
          new JsonObject()
              .put("type", "sync")
              .put("room", room.toString())
              .put("after", seen)
              .put("ref", "resume"));
      List<JsonObject> missed = tomWs.messages(3);
      for (int i = 0; i < 3; i++) {
        assertEquals(seen + 1 + i, missed.get(i).getLong("seq"));
        assertEquals("m" + (i + 2), tomsPc.open(missed.get(i)));
      }
      JsonObject synced = tomWs.next("synced");
      assertEquals(4, synced.getLong("seq"));
      assertEquals("resume", synced.getString("ref"));
      tomWs.expectNone("message", 300);
    }
    // the sync from 1 confirmed the first message for Tom's device
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM device_room_positions WHERE room_id = '"
                + room
                + "' AND user_id = '"
                + team.tom().userId()
                + "' AND seq = 1"));
  }

  @Test
  void outsidersAndDisabledUsersAreNoRecipients() {
    Team team = team();
    UUID room = encryptedRoom(team);
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());
    Session uwe = server.login(server.user(team.careHome()));
    E2eDevice uwesPhone = E2eDevice.register(server, uwe);
    TestOrg outsider = server.organisation("pharmacy");
    Session eve = server.login(outsider.admin());
    E2eDevice evesPc = E2eDevice.register(server, eve);

    // the room lists its devices to members, sender's included, and to no one else
    JsonArray listed =
        server.api().get("/api/v1/rooms/" + room + "/devices", team.anna().accessToken()).array();
    List<JsonObject> expected =
        new java.util.ArrayList<>(
            List.of(laptop, tomsPc, uwesPhone).stream()
                .map(
                    d ->
                        new JsonObject()
                            .put("userId", d.userId().toString())
                            .put("deviceId", d.deviceId))
                .toList());
    expected.sort(java.util.Comparator.comparing(o -> UUID.fromString(o.getString("userId"))));
    assertEquals(new JsonArray(expected), listed);
    Api.Response evesList =
        server.api().get("/api/v1/rooms/" + room + "/devices", eve.accessToken());
    assertEquals(403, evesList.status(), evesList.body());
    assertEquals("not_a_member", evesList.code());

    // Uwe's phone belongs to the room; Eve's PC does not
    Api.Response withoutUwe =
        laptop.send(room, UUID.randomUUID(), laptop.seal("a", List.of(tomsPc)));
    assertEquals(409, withoutUwe.status(), withoutUwe.body());
    assertEquals(
        uwesPhone.deviceId,
        withoutUwe.json().getJsonArray("missing").getJsonObject(0).getInteger("deviceId"));
    // Anna cannot even fetch Eve's keys; an envelope addressed to her device is extra
    JsonArray toEve = laptop.seal("b", List.of(tomsPc, uwesPhone));
    toEve.add(
        toEve
            .getJsonObject(0)
            .copy()
            .put("userId", eve.userId().toString())
            .put("deviceId", evesPc.deviceId));
    Api.Response withEve = laptop.send(room, UUID.randomUUID(), toEve);
    assertEquals(409, withEve.status(), withEve.body());
    assertEquals(
        eve.userId().toString(),
        withEve.json().getJsonArray("extra").getJsonObject(0).getString("userId"));

    // Eve can neither send into the room nor read it, with or without a device
    Api.Response evesSend = evesPc.send(room, UUID.randomUUID(), toEve);
    assertEquals(403, evesSend.status(), evesSend.body());
    assertEquals("not_a_member", evesSend.code());
    Api.Response evesRead =
        server
            .api()
            .get(
                "/api/v1/rooms/" + room + "/messages?device=" + evesPc.deviceId, eve.accessToken());
    assertEquals(403, evesRead.status(), evesRead.body());
    // nor connect as a device that is not hers
    String ticket =
        server.api().post("/api/v1/ws-tickets", null, eve.accessToken()).json().getString("ticket");
    try (TestSocket borrowed =
        TestSocket.connect(
            server.clientVertx(),
            server.port(),
            "/api/v1/ws?ticket=" + ticket + "&device=" + (evesPc.deviceId + 1))) {
      assertEquals("unknown_device", borrowed.next("error").getString("code"));
      assertEquals(4003, borrowed.awaitClose());
    }

    // once Uwe is disabled, his phone is no recipient any more
    Api.Response disabled =
        server
            .api()
            .post(
                "/api/v1/organisation/users/" + uwe.userId() + "/disable",
                null,
                team.tom().accessToken());
    assertEquals(200, disabled.status(), disabled.body());
    try (TestSocket evesWs = evesPc.socket()) {
      Api.Response sent = laptop.send(room, UUID.randomUUID(), laptop.seal("d", List.of(tomsPc)));
      assertEquals(201, sent.status(), sent.body());
      evesWs.expectNone("message", 300);
    }
  }
}
