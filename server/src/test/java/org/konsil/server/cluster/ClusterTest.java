package org.konsil.server.cluster;

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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.ClusterKeys;
import org.konsil.server.testkit.KonsilProcess;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.TestSocket;

/**
 * Two nodes on one PostgreSQL, joined by Hazelcast over loopback TCP (multicast off): node A in
 * this JVM, node B in its own JVM so that it can die by kill -9.
 */
class ClusterTest {

  static final int HAZELCAST_A = KonsilServer.freePort();
  static final int HAZELCAST_B = KonsilServer.freePort();
  static final String MEMBERS = "127.0.0.1:" + HAZELCAST_A + ",127.0.0.1:" + HAZELCAST_B;
  static final java.nio.file.Path KEY_STORE = ClusterKeys.keyStore();

  @RegisterExtension
  static KonsilServer nodeA =
      new KonsilServer()
          .with("KONSIL_CLUSTER", "hazelcast")
          .with("KONSIL_CLUSTER_KEYSTORE", KEY_STORE.toString())
          .with("KONSIL_CLUSTER_KEYSTORE_PASSWORD", ClusterKeys.PASSWORD)
          .with("KONSIL_CLUSTER_SECRET", ClusterKeys.SECRET)
          .with("KONSIL_CLUSTER_HOST", "127.0.0.1")
          .with("KONSIL_CLUSTER_PORT", Integer.toString(HAZELCAST_A))
          .with("KONSIL_CLUSTER_MEMBERS", MEMBERS);

  static KonsilProcess nodeB;
  static int portB;
  static Api apiB;
  static KonsilServer.TestOrg practice;
  static KonsilServer.TestOrg careHome;
  static KonsilServer.TestUser anna;
  static KonsilServer.TestUser tom;

  @BeforeAll
  static void secondNode() throws IOException {
    practice = nodeA.organisation("practice");
    careHome = nodeA.organisation("care_home");
    anna = nodeA.user(practice);
    tom = nodeA.user(careHome);
    nodeB = startNodeB();
  }

  @AfterAll
  static void stopSecondNode() {
    if (nodeB != null) {
      nodeB.close();
    }
  }

  static KonsilProcess startNodeB() throws IOException {
    portB = KonsilServer.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("KONSIL_DATABASE_URL", TestDatabase.url(nodeA.database()));
    env.put("KONSIL_HTTP_PORT", Integer.toString(portB));
    env.put("KONSIL_DATA_DIR", Scratch.folder("konsil-node-b").toString());
    env.put("KONSIL_JWT_SECRET", nodeA.env("KONSIL_JWT_SECRET"));
    // every node needs the key that sealed the trail, or it refuses to start
    env.put("KONSIL_AUDIT_KEY", Files.readString(nodeA.dataDir().resolve("audit-key")).trim());
    env.put("KONSIL_ARGON2_MEMORY_KIB", "1024");
    env.put("KONSIL_ARGON2_ITERATIONS", "1");
    env.put("KONSIL_CLUSTER", "hazelcast");
    env.put("KONSIL_CLUSTER_HOST", "127.0.0.1");
    env.put("KONSIL_CLUSTER_PORT", Integer.toString(HAZELCAST_B));
    env.put("KONSIL_CLUSTER_MEMBERS", MEMBERS);
    env.put("KONSIL_CLUSTER_KEYSTORE", KEY_STORE.toString());
    env.put("KONSIL_CLUSTER_KEYSTORE_PASSWORD", ClusterKeys.PASSWORD);
    env.put("KONSIL_CLUSTER_SECRET", ClusterKeys.SECRET);
    KonsilProcess process = KonsilProcess.start(env, Scratch.folder("konsil-work-b"));
    process.awaitLine("Konsil listens on", 120);
    process.awaitLine("Members {size:2", 60);
    apiB = new Api(nodeA.clientVertx(), portB);
    return process;
  }

  /** A ready socket of the user on the node behind the API. */
  static TestSocket socket(Api api, int port, KonsilServer.TestUser user) {
    String access =
        api.post(
                "/api/v1/auth/login",
                new JsonObject().put("email", user.email()).put("password", user.password()),
                null)
            .json()
            .getString("accessToken");
    String ticket = api.post("/api/v1/ws-tickets", null, access).json().getString("ticket");
    TestSocket socket =
        TestSocket.connect(nodeA.clientVertx(), port, "/api/v1/ws?ticket=" + ticket);
    socket.next("ready");
    return socket;
  }

  static JsonObject send(UUID room, String content) {
    return new JsonObject()
        .put("type", "send")
        .put("room", room.toString())
        .put("clientMsgId", UUID.randomUUID().toString())
        .put("content", content);
  }

  /** Sends until the other socket hears one: the other node's subscriptions have arrived. */
  static void awaitFanOut(TestSocket from, TestSocket to, UUID room) {
    for (int attempt = 0; attempt < 100; attempt++) {
      from.send(send(room, "probe " + attempt));
      from.next("ack");
      try {
        to.expectNone("message", 300);
      } catch (AssertionError heard) {
        return;
      }
    }
    throw new AssertionError("no message crossed between the nodes");
  }

  static List<Long> seqs(List<JsonObject> frames, UUID room) {
    List<Long> seqs = new ArrayList<>();
    for (JsonObject frame : frames) {
      if ("message".equals(frame.getString("type"))
          && room.toString().equals(frame.getString("room"))) {
        seqs.add(frame.getLong("seq"));
      }
    }
    return seqs;
  }

  static List<Long> oneTo(long last) {
    List<Long> all = new ArrayList<>();
    for (long seq = 1; seq <= last; seq++) {
      all.add(seq);
    }
    return all;
  }

  /** Reads message frames until one with the given sequence number arrived. */
  static List<JsonObject> readUntil(TestSocket socket, long seq, List<JsonObject> into) {
    while (true) {
      JsonObject frame = socket.next();
      into.add(frame);
      if ("message".equals(frame.getString("type")) && frame.getLong("seq") >= seq) {
        return into;
      }
    }
  }

  @Test
  void usersOnBothNodesChatAndEveryoneSeesEveryMessageInOrder() {
    UUID room = nodeA.room(nodeA.login(anna), careHome.id());
    try (TestSocket annaOnA = socket(nodeA.api(), nodeA.port(), anna);
        TestSocket tomOnB = socket(apiB, portB, tom)) {
      List<JsonObject> annasFrames = new ArrayList<>();
      List<JsonObject> tomsFrames = new ArrayList<>();
      awaitFanOut(annaOnA, tomOnB, room);
      for (int i = 0; i < 100; i++) {
        annaOnA.send(send(room, "von A " + i));
        tomOnB.send(send(room, "von B " + i));
      }
      for (int i = 0; i < 100; i++) {
        annaOnA.next("ack");
        tomOnB.next("ack");
      }
      long last = nodeA.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
      readUntil(annaOnA, last, annasFrames);
      readUntil(tomOnB, last, tomsFrames);
      annasFrames.addAll(annaOnA.remaining());
      tomsFrames.addAll(tomOnB.remaining());
      List<Long> annas = seqs(annasFrames, room);
      List<Long> toms = seqs(tomsFrames, room);
      // the probes before the burst may have reached node B's socket only in part
      assertEquals(oneTo(last).subList(annas.get(0).intValue() - 1, (int) last), annas);
      assertEquals(oneTo(last).subList(toms.get(0).intValue() - 1, (int) last), toms);
      assertTrue(last - toms.get(0) >= 199, "node B heard the whole burst in order");
    }
  }

  @Test
  void whenANodeDiesItsClientsResyncOnTheOtherWithoutGapOrDuplicate() throws Exception {
    UUID room = nodeA.room(nodeA.login(anna), careHome.id());
    try (TestSocket annaOnA = socket(nodeA.api(), nodeA.port(), anna)) {
      TestSocket tomOnB = socket(apiB, portB, tom);
      awaitFanOut(annaOnA, tomOnB, room);
      List<JsonObject> tomsFrames = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        annaOnA.send(send(room, "vor dem Ausfall " + i));
      }
      for (int i = 0; i < 50; i++) {
        annaOnA.next("ack");
      }
      long before = nodeA.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
      readUntil(tomOnB, before, tomsFrames);

      nodeB.kill();
      tomOnB.awaitClose();
      tomsFrames.addAll(tomOnB.remaining());
      List<Long> seen = seqs(tomsFrames, room);
      long lastSeen = seen.get(seen.size() - 1);
      for (int i = 0; i < 50; i++) {
        annaOnA.send(send(room, "während des Ausfalls " + i));
      }

      try (TestSocket tomOnA = socket(nodeA.api(), nodeA.port(), tom)) {
        tomOnA.send(
            new JsonObject()
                .put("type", "sync")
                .put("room", room.toString())
                .put("after", lastSeen));
        for (int i = 0; i < 50; i++) {
          annaOnA.send(send(room, "nach dem Ausfall " + i));
        }
        for (int i = 0; i < 100; i++) {
          annaOnA.next("ack");
        }
        long last = nodeA.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
        List<JsonObject> after = new ArrayList<>();
        while (!seqs(after, room).contains(last)
            || after.stream().noneMatch(f -> "synced".equals(f.getString("type")))) {
          after.add(tomOnA.next());
        }
        after.addAll(tomOnA.remaining());
        List<Long> resumed = new ArrayList<>(seqs(after, room));
        List<Long> all = new ArrayList<>(seen);
        all.addAll(resumed);
        List<Long> sorted = new ArrayList<>(all);
        sorted.sort(Long::compare);
        assertEquals(
            oneTo(last).subList(seen.get(0).intValue() - 1, (int) last),
            sorted,
            "every message from the first one seen on, once; seen on B "
                + seen
                + ", after the reconnect "
                + resumed);
        assertEquals(new java.util.HashSet<>(all).size(), all.size(), "no duplicate");
      }
    } finally {
      nodeB.close();
      nodeB = startNodeB();
    }
  }

  @Test
  void aUserConnectedToTheOtherNodeGetsNoUnreadMailButAnOfflineColleagueDoes() {
    KonsilServer.TestUser colleague = nodeA.user(careHome);
    KonsilServer.TestUser reader = nodeA.user(careHome);
    UUID room = nodeA.room(nodeA.login(anna), careHome.id());
    try (TestSocket readerOnB = socket(apiB, portB, reader)) {
      // node B writes the reader's presence as the socket opens
      org.konsil.server.testkit.Waiting.until(
          () ->
              nodeA.count(
                      "SELECT count(*) FROM presence p JOIN users u ON u.id = p.user_id"
                          + " WHERE u.email = '"
                          + reader.email()
                          + "'")
                  == 1,
          "the reader's presence on node B");
      nodeA.sendRest(nodeA.login(anna), room, "Bitte melden");
      nodeA.clock.advance(java.time.Duration.ofSeconds(61));
      KonsilServer.await(nodeA.wiring().notifier().run());
      // one mail per room with unread messages (the earlier tests' rooms too)
      assertTrue(mailsTo(colleague) >= 1, "the colleague, connected nowhere, is told");
      assertEquals(0, mailsTo(reader), "the reader reads it on node B");
      assertTrue(!readerOnB.isClosed());
    }
  }

  static long mailsTo(KonsilServer.TestUser user) {
    return nodeA.count(
        "SELECT count(*) FROM outbox WHERE channel = 'mail' AND recipient = '"
            + user.email()
            + "'");
  }
}
