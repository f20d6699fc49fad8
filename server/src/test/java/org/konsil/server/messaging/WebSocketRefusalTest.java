package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;

/** Bad frames, strangers, disabled users and slow clients on the WebSocket. */
class WebSocketRefusalTest {

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_WS_MAX_FRAME_BYTES", "4096")
          .with("KONSIL_WS_MAX_QUEUED_BYTES", "65536")
          .with("KONSIL_WS_AUTH_TIMEOUT_SECONDS", "1");

  static CareNetwork network;
  static UUID room;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
    room = server.room(network.anna(), network.careHome().id());
  }

  static JsonObject ping() {
    return new JsonObject().put("type", "ping").put("ref", "still-there");
  }

  @Test
  void malformedUnknownAndIncompleteFramesGetErrorsAndTheSocketStaysUsable() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket a = server.socket(network.anna())) {
      a.sendText("{not json");
      assertEquals("malformed_json", a.next("error").getString("code"));
      a.sendText("[1,2,3]");
      assertEquals("malformed_json", a.next("error").getString("code"));
      a.sendInvalid(new JsonObject().put("type", "dance"));
      assertEquals("unknown_type", a.next("error").getString("code"));
      a.sendInvalid(new JsonObject().put("content", "no type"));
      assertEquals("unknown_type", a.next("error").getString("code"));
      a.sendInvalid(
          new JsonObject().put("type", "send").put("room", room.toString()).put("ref", "x1"));
      JsonObject missing = a.next("error");
      assertEquals("validation_failed", missing.getString("code"));
      assertEquals("x1", missing.getString("ref"));
      a.sendInvalid(
          new JsonObject()
              .put("type", "send")
              .put("room", "not-a-uuid")
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "x"));
      assertEquals("validation_failed", a.next("error").getString("code"));
      a.sendInvalid(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "   "));
      assertEquals("validation_failed", a.next("error").getString("code"));
      a.sendInvalid(
          new JsonObject().put("type", "sync").put("room", room.toString()).put("after", -1));
      assertEquals("validation_failed", a.next("error").getString("code"));
      a.raw().writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3}));
      assertEquals("unsupported_frame", a.next("error").getString("code"));
      a.send(new JsonObject().put("type", "auth").put("token", network.anna().accessToken()));
      assertEquals("already_authenticated", a.next("error").getString("code"));
      a.send(ping());
      assertEquals("still-there", a.next("pong").getString("ref"));
    }
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void oversizedFrameIsRefusedAndNothingIsStored() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket a = server.socket(network.anna())) {
      a.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "x".repeat(5000)));
      assertEquals("frame_too_large", a.next("error").getString("code"));
      a.send(ping());
      a.next("pong");
    }
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void strangersCannotSendSyncReadOrTypeInARoom() {
    try (TestSocket e = server.socket(network.eve());
        TestSocket a = server.socket(network.anna())) {
      UUID clientMsgId = UUID.randomUUID();
      e.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", clientMsgId.toString())
              .put("content", "Ich lese mit"));
      JsonObject refused = e.next("error");
      assertEquals("not_a_member", refused.getString("code"));
      assertEquals(clientMsgId.toString(), refused.getString("clientMsgId"));
      e.send(new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 0));
      assertEquals("not_a_member", e.next("error").getString("code"));
      e.send(new JsonObject().put("type", "read").put("room", room.toString()).put("seq", 1));
      assertEquals("not_a_member", e.next("error").getString("code"));
      e.send(new JsonObject().put("type", "typing").put("room", room.toString()));
      assertEquals("not_a_member", e.next("error").getString("code"));
      a.expectNone("typing", 200);
      // A room that does not exist answers the same as one that is not yours.
      e.send(
          new JsonObject()
              .put("type", "send")
              .put("room", UUID.randomUUID().toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "x"));
      assertEquals("not_a_member", e.next("error").getString("code"));
      // And what members write never reaches the stranger.
      server.sendRest(network.anna(), room, "nur für Mitglieder");
      a.next("message");
      e.expectNone("message", 300);
    }
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM messages WHERE sender_user_id = '"
                + network.eve().userId()
                + "'"));
  }

  @Test
  void socketWithoutAuthenticationIsClosedAfterTheTimeLimit() {
    try (TestSocket socket =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws")) {
      assertEquals("unauthenticated", socket.next("error").getString("code"));
      assertEquals(4001, socket.awaitClose());
    }
  }

  @Test
  void webSocketOnAnotherPathIsRejected() {
    try {
      TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/elsewhere").close();
      throw new AssertionError("the handshake should have been rejected");
    } catch (IllegalStateException expected) {
      assertTrue(
          expected.getCause().getMessage().contains("404"), expected.getCause().getMessage());
    }
  }

  @Test
  void disablingAUserClosesTheirOpenSocketAtOnce() {
    KonsilServer.TestUser nurse = server.user(network.practice());
    Session session = server.login(nurse);
    Session admin = server.login(network.practice().admin());
    try (TestSocket socket = server.socket(session)) {
      var response =
          server
              .api()
              .post(
                  "/api/v1/organisation/users/" + session.userId() + "/disable",
                  null,
                  admin.accessToken());
      assertEquals(200, response.status());
      assertEquals("account_disabled", socket.next("error").getString("code"));
      assertEquals(4003, socket.awaitClose());
    }
  }

  @Test
  void loggingOutClosesTheSessionsSockets() {
    Session session = server.login(network.practice().admin());
    try (TestSocket socket = server.socket(session)) {
      assertEquals(
          204, server.api().post("/api/v1/auth/logout", null, session.accessToken()).status());
      assertEquals("session_ended", socket.next("error").getString("code"));
      assertEquals(4003, socket.awaitClose());
    }
  }

  @Test
  void aSocketClosesWhenItsSessionEndsByTheServersClock() {
    Session session = server.login(network.practice().admin());
    try (TestSocket socket = server.socket(session)) {
      server.clock.advance(java.time.Duration.ofHours(12).minusSeconds(60));
      socket.send(ping());
      assertEquals("pong", socket.next("pong").getString("type"));
      server.clock.advance(java.time.Duration.ofSeconds(61));
      assertEquals("session_ended", socket.next("error").getString("code"));
      assertEquals(4003, socket.awaitClose());
    } finally {
      // keep later tests' tokens valid
      server.clock.advance(java.time.Duration.ofHours(-12).minusSeconds(1));
    }
  }
}
