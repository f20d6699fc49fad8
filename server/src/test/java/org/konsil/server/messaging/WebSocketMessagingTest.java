package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;

/** The delivery contract over the WebSocket, end to end through the HTTP server and PostgreSQL. */
class WebSocketMessagingTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void organisations() {
    network = CareNetwork.create(server);
  }

  static JsonObject send(UUID room, UUID clientMsgId, String content) {
    return new JsonObject()
        .put("type", "send")
        .put("room", room.toString())
        .put("clientMsgId", clientMsgId.toString())
        .put("content", content);
  }

  @Test
  void sentMessagesAreAckedAfterCommitAndPushedToAllMembersInOrder() {
    try (TestSocket a = server.socket(network.anna());
        TestSocket t = server.socket(network.tom());
        TestSocket e = server.socket(network.eve())) {
      UUID room = server.room(network.anna(), network.careHome().id());
      assertEquals(room.toString(), a.next("joined").getJsonObject("room").getString("id"));
      assertEquals(room.toString(), t.next("joined").getJsonObject("room").getString("id"));

      for (int i = 1; i <= 25; i++) {
        a.send(send(room, UUID.randomUUID(), "Nachricht " + i));
      }
      Set<Long> acked = new HashSet<>();
      for (int i = 0; i < 25; i++) {
        JsonObject ack = a.next("ack");
        long seq = ack.getLong("seq");
        assertFalse(ack.getBoolean("duplicate"));
        assertEquals(
            1,
            server.count(
                "SELECT count(*) FROM messages WHERE room_id = '" + room + "' AND seq = " + seq),
            "an acked message is committed");
        acked.add(seq);
      }
      assertEquals(25, acked.size());

      List<JsonObject> atCareHome = t.messages(25);
      List<JsonObject> atPractice = a.messages(25);
      for (int i = 0; i < 25; i++) {
        assertEquals(i + 1, atCareHome.get(i).getLong("seq"));
        assertEquals(i + 1, atPractice.get(i).getLong("seq"));
        assertEquals(room.toString(), atCareHome.get(i).getString("room"));
        assertNotNull(atCareHome.get(i).getString("sentAt"));
        assertEquals(
            network.anna().userId().toString(),
            atCareHome.get(i).getJsonObject("sender").getString("id"));
      }
      assertEquals(
          List.of("Nachricht 1", "Nachricht 2"),
          atCareHome.subList(0, 2).stream().map(m -> m.getString("content")).toList());
      e.expectNone("message", 300);
    }
  }

  @Test
  void resentClientMsgIdAnswersTheFirstAckAndStoresNothingTwice() {
    UUID room = server.room(network.anna(), network.careHome().id());
    UUID clientMsgId = UUID.randomUUID();
    try (TestSocket a = server.socket(network.anna());
        TestSocket t = server.socket(network.tom())) {
      a.send(send(room, clientMsgId, "Befund folgt"));
      JsonObject first = a.next("ack");
      a.send(send(room, clientMsgId, "Befund folgt"));
      JsonObject second = a.next("ack");
      assertTrue(second.getBoolean("duplicate"));
      assertEquals(first.getLong("seq"), second.getLong("seq"));
      assertEquals(first.getString("id"), second.getString("id"));
      assertEquals(clientMsgId.toString(), second.getString("clientMsgId"));
      assertEquals(1, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
      t.next("message");
      t.expectNone("message", 300);
    }
  }

  @Test
  void clientMsgIdReusedForAnotherRoomIsRefused() {
    UUID room1 = server.room(network.anna(), network.careHome().id());
    UUID room2 = server.room(network.anna(), network.careHome().id());
    UUID clientMsgId = UUID.randomUUID();
    try (TestSocket a = server.socket(network.anna())) {
      a.send(send(room1, clientMsgId, "eins"));
      a.next("ack");
      a.send(send(room2, clientMsgId, "zwei"));
      JsonObject error = a.next("error");
      assertEquals("client_msg_id_reused", error.getString("code"));
      assertEquals(clientMsgId.toString(), error.getString("clientMsgId"));
      assertEquals(
          0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room2 + "'"));
    }
  }

  @Test
  void reconnectingClientSyncsWhatItMissedWithoutGapOrDuplicate() {
    UUID room = server.room(network.anna(), network.careHome().id());
    long lastSeen;
    try (TestSocket t = server.socket(network.tom())) {
      server.sendRest(network.anna(), room, "eins");
      server.sendRest(network.anna(), room, "zwei");
      lastSeen = t.messages(2).get(1).getLong("seq");
    }
    // Tom is offline while five more arrive.
    for (int i = 3; i <= 7; i++) {
      server.sendRest(network.anna(), room, "Nachricht " + i);
    }
    try (TestSocket t = server.socket(network.tom())) {
      t.send(
          new JsonObject()
              .put("type", "sync")
              .put("room", room.toString())
              .put("after", lastSeen)
              .put("ref", "r1"));
      // A message sent while the sync runs must come exactly once, after the missed ones.
      server.sendRest(network.anna(), room, "live");
      List<Long> seqs = new ArrayList<>();
      JsonObject synced = null;
      while (seqs.size() < 6) {
        JsonObject frame = t.next();
        if ("message".equals(frame.getString("type"))) {
          seqs.add(frame.getLong("seq"));
        } else if ("synced".equals(frame.getString("type"))) {
          synced = frame;
        }
      }
      assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L), seqs);
      if (synced == null) {
        synced = t.next("synced");
      }
      assertEquals("r1", synced.getString("ref"));
      assertTrue(synced.getLong("seq") >= 7);
      t.expectNone("message", 300);
    }
  }

  @Test
  void syncBeyondTheLastMessageDoesNotHoldBackLaterOnes() {
    UUID room = server.room(network.anna(), network.careHome().id());
    server.sendRest(network.anna(), room, "eins");
    try (TestSocket t = server.socket(network.tom())) {
      t.send(new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 50));
      assertEquals(1, t.next("synced").getLong("seq"));
      server.sendRest(network.anna(), room, "zwei");
      assertEquals(2, t.next("message").getLong("seq"));
    }
  }

  @Test
  void syncAfterLivePushesReplaysOnlyWhatThisConnectionHasNotHad() {
    UUID room = server.room(network.anna(), network.careHome().id());
    for (int i = 1; i <= 5; i++) {
      server.sendRest(network.anna(), room, "vorher " + i);
    }
    try (TestSocket t = server.socket(network.tom())) {
      // 6 to 8 are pushed live before the client (reconnected, say, after seq 2) asks to sync
      for (int i = 6; i <= 8; i++) {
        server.sendRest(network.anna(), room, "live " + i);
        assertEquals(i, t.next("message").getLong("seq"));
      }
      t.send(new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 2));
      List<JsonObject> replayed = t.messages(3);
      assertEquals(List.of(3L, 4L, 5L), replayed.stream().map(m -> m.getLong("seq")).toList());
      assertEquals(8, t.next("synced").getLong("seq"));
      t.expectNone("message", 300);
      server.sendRest(network.anna(), room, "danach");
      assertEquals(9, t.next("message").getLong("seq"));
    }
  }

  @Test
  void ackRepeatsTheFramesRef() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket a = server.socket(network.anna())) {
      a.send(send(room, UUID.randomUUID(), "mit ref").put("ref", "my-ref-7"));
      assertEquals("my-ref-7", a.next("ack").getString("ref"));
    }
  }

  @Test
  void syncOfALongHistoryArrivesCompleteInPages() {
    UUID room = server.room(network.anna(), network.careHome().id());
    for (int i = 1; i <= 230; i++) {
      server.sendRest(network.anna(), room, "m" + i);
    }
    try (TestSocket t = server.socket(network.tom())) {
      t.send(new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 0));
      List<JsonObject> messages = t.messages(230);
      for (int i = 0; i < 230; i++) {
        assertEquals(i + 1, messages.get(i).getLong("seq"));
      }
      assertEquals(230, t.next("synced").getLong("seq"));
    }
  }

  @Test
  void typingIsRelayedToOthersAndNeverStored() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket a = server.socket(network.anna());
        TestSocket t = server.socket(network.tom())) {
      a.send(new JsonObject().put("type", "typing").put("room", room.toString()));
      JsonObject typing = t.next("typing");
      assertEquals(room.toString(), typing.getString("room"));
      assertEquals(
          network.anna().userId().toString(), typing.getJsonObject("sender").getString("id"));
      a.expectNone("typing", 300);
      assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
    }
  }

  @Test
  void readMarkerMovesAndUnreadCountsFollow() {
    UUID room = server.room(network.anna(), network.careHome().id());
    server.sendRest(network.anna(), room, "eins");
    server.sendRest(network.anna(), room, "zwei");
    server.sendRest(network.anna(), room, "drei");
    assertEquals(3, unread(network.tom(), room));
    assertEquals(0, unread(network.anna(), room), "one's own messages are not unread");
    try (TestSocket t = server.socket(network.tom());
        TestSocket t2 = server.socket(network.tom())) {
      t.send(new JsonObject().put("type", "read").put("room", room.toString()).put("seq", 2));
      JsonObject unread = t.next("unread");
      assertEquals(2, unread.getLong("readSeq"));
      assertEquals(1, unread.getLong("unread"));
      assertEquals(1, t2.next("unread").getLong("unread"), "the user's other devices follow");
      // Markers never move back, and never past the last message.
      t.send(new JsonObject().put("type", "read").put("room", room.toString()).put("seq", 1));
      assertEquals(2, t.next("unread").getLong("readSeq"));
      t.send(new JsonObject().put("type", "read").put("room", room.toString()).put("seq", 99));
      assertEquals(3, t.next("unread").getLong("readSeq"));
    }
    assertEquals(0, unread(network.tom(), room));
  }

  static long unread(Session session, UUID room) {
    for (Object item : server.api().get("/api/v1/rooms", session.accessToken()).array()) {
      JsonObject r = (JsonObject) item;
      if (r.getString("id").equals(room.toString())) {
        return r.getLong("unread");
      }
    }
    throw new AssertionError("room not listed");
  }

  @Test
  void concurrentSendersInOneRoomAreDeliveredInSequenceOrderToEveryone() {
    UUID room = server.room(network.anna(), network.careHome().id());
    Session jonas = server.login(server.user(network.practice()));
    Session tina = server.login(server.user(network.careHome()));
    try (TestSocket a = server.socket(network.anna());
        TestSocket j = server.socket(jonas);
        TestSocket ti = server.socket(tina);
        TestSocket t = server.socket(network.tom())) {
      for (int i = 0; i < 30; i++) {
        a.send(send(room, UUID.randomUUID(), "a" + i));
        j.send(send(room, UUID.randomUUID(), "j" + i));
        ti.send(send(room, UUID.randomUUID(), "t" + i));
      }
      for (TestSocket receiver : List.of(t, a, j, ti)) {
        List<JsonObject> received = receiver.messages(90);
        for (int i = 0; i < 90; i++) {
          assertEquals(i + 1, received.get(i).getLong("seq"), "seq order without gap");
        }
        receiver.expectNone("message", 100);
      }
    }
    assertEquals(90, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void ticketAuthenticatesOnceAndAuthFrameAlsoWorks() {
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, network.anna().accessToken())
            .json()
            .getString("ticket");
    try (TestSocket first =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws?ticket=" + ticket)) {
      JsonObject ready = first.next("ready");
      assertEquals(network.anna().userId().toString(), ready.getJsonObject("user").getString("id"));
    }
    try (TestSocket again =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws?ticket=" + ticket)) {
      assertEquals("invalid_ticket", again.next("error").getString("code"));
      assertEquals(4001, again.awaitClose());
    }
    try (TestSocket byFrame =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws")) {
      byFrame.send(new JsonObject().put("type", "auth").put("token", network.tom().accessToken()));
      assertEquals(
          network.tom().userId().toString(),
          byFrame.next("ready").getJsonObject("user").getString("id"));
    }
  }

  @Test
  void expiredTicketIsRefused() {
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, network.anna().accessToken())
            .json()
            .getString("ticket");
    server.clock.advance(java.time.Duration.ofSeconds(31));
    try (TestSocket socket =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws?ticket=" + ticket)) {
      assertEquals("invalid_ticket", socket.next("error").getString("code"));
      assertEquals(4001, socket.awaitClose());
    } finally {
      // keep later tests' tokens valid: access tokens live 300 s by default
      server.clock.advance(java.time.Duration.ofSeconds(-31));
    }
  }

  @Test
  void forgedOrMissingAuthenticationClosesWith4001() {
    String forged =
        network.anna().accessToken().substring(0, network.anna().accessToken().length() - 3)
            + "abc";
    try (TestSocket socket =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws")) {
      socket.sendInvalid(
          new JsonObject().put("type", "send").put("room", UUID.randomUUID().toString()));
      assertEquals("unauthenticated", socket.next("error").getString("code"));
      socket.send(new JsonObject().put("type", "auth").put("token", forged));
      assertEquals("invalid_token", socket.next("error").getString("code"));
      assertEquals(4001, socket.awaitClose());
    }
  }
}
