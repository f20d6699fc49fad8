package org.konsil.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilProcess;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.TestSocket;

/**
 * A message that was acknowledged is in the database after any stop of the server: SIGTERM (which
 * also lets in-flight messages commit and says 1001 to every socket) and kill -9. The server runs
 * as a separate process on the test database.
 */
class DurabilityTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static TestOrg practice;
  static TestOrg careHome;
  static TestUser anna;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    careHome = server.organisation("care_home");
    anna = practice.admin();
  }

  record Node(KonsilProcess process, int port, Api api) {}

  static Node startNode() throws IOException {
    int port = KonsilServer.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("KONSIL_DATABASE_URL", TestDatabase.url(server.database()));
    env.put("KONSIL_HTTP_PORT", Integer.toString(port));
    env.put("KONSIL_DATA_DIR", Scratch.folder("konsil-node").toString());
    env.put("KONSIL_JWT_SECRET", server.env("KONSIL_JWT_SECRET"));
    // every node needs the key that sealed the trail, or it refuses to start
    env.put("KONSIL_AUDIT_KEY", Files.readString(server.dataDir().resolve("audit-key")).trim());
    env.put("KONSIL_ARGON2_MEMORY_KIB", "1024");
    env.put("KONSIL_ARGON2_ITERATIONS", "1");
    env.put("KONSIL_SHUTDOWN_GRACE_SECONDS", "5");
    KonsilProcess process = KonsilProcess.start(env, Scratch.folder("konsil-work"));
    process.awaitLine("Konsil listens on", 90);
    return new Node(process, port, new Api(server.clientVertx(), port));
  }

  /** A socket with sends in flight, and the client ids of those already acked. */
  record Sending(TestSocket socket, List<String> acked) {}

  /** Sends messages until at least the given number are acked. */
  static Sending sendUntilAcked(Node node, UUID room, int acked) {
    String access =
        node.api()
            .post(
                "/api/v1/auth/login",
                new JsonObject().put("email", anna.email()).put("password", anna.password()),
                null)
            .json()
            .getString("accessToken");
    String ticket = node.api().post("/api/v1/ws-tickets", null, access).json().getString("ticket");
    TestSocket socket =
        TestSocket.connect(server.clientVertx(), node.port(), "/api/v1/ws?ticket=" + ticket);
    socket.next("ready");
    for (int i = 0; i < 800; i++) {
      socket.send(
          new JsonObject()
              .put("type", "send")
              .put("room", room.toString())
              .put("clientMsgId", UUID.randomUUID().toString())
              .put("content", "Nachricht " + i));
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < acked; i++) {
      ids.add(socket.next("ack").getString("clientMsgId"));
    }
    return new Sending(socket, ids);
  }

  static List<String> ackedIds(List<JsonObject> frames) {
    List<String> ids = new ArrayList<>();
    for (JsonObject frame : frames) {
      if ("ack".equals(frame.getString("type"))) {
        ids.add(frame.getString("clientMsgId"));
      }
    }
    return ids;
  }

  static void assertAllStored(List<String> acked) {
    for (String clientMsgId : acked) {
      assertEquals(
          1,
          server.count("SELECT count(*) FROM messages WHERE client_msg_id = '" + clientMsgId + "'"),
          "acked message " + clientMsgId + " is stored");
    }
  }

  @Test
  void ackedMessagesSurviveKillNine() throws Exception {
    UUID room = server.room(server.login(anna), careHome.id());
    Node node = startNode();
    Sending sending = sendUntilAcked(node, room, 50);
    try (TestSocket socket = sending.socket()) {
      node.process().kill();
      socket.awaitClose();
      // 50 acks were read before the kill; more may have arrived before the socket died.
      List<String> acked = new ArrayList<>(sending.acked());
      acked.addAll(ackedIds(socket.remaining()));
      long stored = server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
      assertTrue(stored >= acked.size(), "stored " + stored + ", acked " + acked.size());
      assertAllStored(acked);
      assertSequenceHasNoGap(room, stored);
    } finally {
      node.process().close();
    }
  }

  @Test
  void sigtermLetsInFlightMessagesCommitAndClosesSocketsWith1001() throws Exception {
    UUID room = server.room(server.login(anna), careHome.id());
    Node node = startNode();
    Sending sending = sendUntilAcked(node, room, 50);
    try (TestSocket socket = sending.socket()) {
      node.process().terminate();
      short code = socket.awaitClose();
      assertEquals(1001, code);
      List<JsonObject> rest = socket.remaining();
      List<String> acked = new ArrayList<>(sending.acked());
      acked.addAll(ackedIds(rest));
      assertAllStored(acked);
      long stored = server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
      assertEquals(acked.size(), stored, "every stored message was acked before the goodbye");
      assertTrue(
          rest.stream().noneMatch(frame -> "error".equals(frame.getString("type"))),
          "sends refused while stopping get no answer; the 1001 tells the client to resend");
      int exit = node.process().awaitExit(30);
      assertEquals(0, exit, "exit code after a clean stop");
    } finally {
      node.process().close();
    }
  }

  static void assertSequenceHasNoGap(UUID room, long stored) {
    assertEquals(
        stored,
        server.count("SELECT coalesce(max(seq), 0) FROM messages WHERE room_id = '" + room + "'"),
        "seq runs 1.." + stored + " without a gap");
  }
}
