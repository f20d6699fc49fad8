package org.konsil.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.TestSocket;

/** JSON that parses but cannot be taken: NUL characters and numbers beyond a field's range. */
class JsonInputTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static void assertValidationProblem(Api.Response response) {
    assertEquals(422, response.status(), response.body());
    assertTrue(response.contentType().startsWith("application/problem+json"));
    assertEquals("validation_failed", response.code());
  }

  static Api.Response raw(HttpMethod method, String path, String json, String token) {
    return server.api().send(method, path, token, "application/json", Buffer.buffer(json));
  }

  @Test
  void nulInTheLoginFieldsIsRefusedBeforeAnyAccountLookup() {
    long attempts = server.count("SELECT count(*) FROM audit_events");
    assertValidationProblem(
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject()
                    .put("email", network.practice().admin().email() + "\u0000")
                    .put("password", KonsilServer.PASSWORD),
                null));
    assertValidationProblem(
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject()
                    .put("email", network.practice().admin().email())
                    .put("password", "a long\u0000 test password"),
                null));
    assertEquals(attempts, server.count("SELECT count(*) FROM audit_events"), "nothing recorded");
    // the same account still logs in: no failure was counted against it
    server.login(network.practice().admin());
  }

  @Test
  void nulInAnyStringOfARestBodyIsRefusedAndNothingIsStored() {
    long rooms = server.count("SELECT count(*) FROM rooms");
    assertValidationProblem(
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "Fallbesprechung\u0000")
                    .put(
                        "partnerOrganisationIds",
                        new JsonArray().add(network.careHome().id().toString())),
                network.anna().accessToken()));
    // in a field nobody reads, in a key, and escaped in the raw text
    assertValidationProblem(
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "Fallbesprechung")
                    .put("note", new JsonArray().add(new JsonObject().put("x", "a\u0000b")))
                    .put(
                        "partnerOrganisationIds",
                        new JsonArray().add(network.careHome().id().toString())),
                network.anna().accessToken()));
    assertValidationProblem(
        raw(
            HttpMethod.POST,
            "/api/v1/rooms",
            "{\"title\":\"Fall\",\"k\\u0000\":1,\"partnerOrganisationIds\":[]}",
            network.anna().accessToken()));
    assertEquals(rooms, server.count("SELECT count(*) FROM rooms"), "no room stored");

    UUID room = server.room(network.anna(), network.careHome().id());
    assertValidationProblem(
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("content", "Blutdruck\u0000 130/80"),
                network.anna().accessToken()));
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void nulInAWebSocketFrameGetsAValidationErrorAndTheSocketStaysUsable() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket socket = server.socket(network.anna())) {
      socket.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "mit\u0000NUL"));
      assertEquals("validation_failed", socket.next("error").getString("code"));
      socket.send(new JsonObject().put("type", "ping").put("ref", "after"));
      assertEquals("after", socket.next("pong").getString("ref"));
    }
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void readMarkerOutsideZeroToTwoToTheSixtyThreeMinusOneIsRefused() {
    UUID room = server.room(network.anna(), network.careHome().id());
    server.sendRest(network.anna(), room, "eins");
    String path = "/api/v1/rooms/" + room + "/read";
    for (String seq :
        new String[] {
          "63465428310307572285440",
          "18446744073709551616",
          "18446744073709551617",
          "9223372036854775808",
          "-1",
          "-9223372036854775809",
          "1.5",
          "1e400",
          "\"1\"",
          "null"
        }) {
      Api.Response response =
          raw(HttpMethod.PUT, path, "{\"seq\":" + seq + "}", network.anna().accessToken());
      assertValidationProblem(response);
    }
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM read_markers WHERE room_id = '" + room + "' AND seq > 0"),
        "no read marker moved");
    Api.Response accepted = raw(HttpMethod.PUT, path, "{\"seq\":1}", network.anna().accessToken());
    assertEquals(200, accepted.status(), accepted.body());
    assertEquals(1, accepted.json().getLong("readSeq"));

    try (TestSocket socket = server.socket(network.anna())) {
      socket.send(
          new JsonObject()
              .put("type", "read")
              .put("room", room.toString())
              .put("seq", new BigInteger("63465428310307572285440"))
              .put("ref", "too-big"));
      JsonObject error = socket.next("error");
      assertEquals("validation_failed", error.getString("code"));
      assertEquals("too-big", error.getString("ref"));
      socket.sendText(
          "{\"type\":\"sync\",\"room\":\"" + room + "\",\"after\":18446744073709551616}");
      assertEquals("validation_failed", socket.next("error").getString("code"));
    }
  }
}
