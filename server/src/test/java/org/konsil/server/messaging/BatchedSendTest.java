package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestSocket;

/** Under load text messages are written many per statement, each still checked and in order. */
class BatchedSendTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static JsonObject send(UUID room, String clientMsgId, String content) {
    return new JsonObject()
        .put("type", "send")
        .put("room", room.toString())
        .put("clientMsgId", clientMsgId)
        .put("content", content);
  }

  static double metric(String name) {
    String text = server.api().get("/metrics", null).body();
    double total = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  @Test
  void burstsFromManySocketsGoInBatchesGapFreeWithRefusalsAndDuplicatesPerMessage() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestOrg stranger = server.organisation("care_service");
    Session anna = server.login(practice.admin());
    List<UUID> rooms = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rooms.add(server.room(anna, careHome.id()));
    }
    List<TestSocket> sockets = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      sockets.add(server.socket(server.login(server.user(i % 2 == 0 ? practice : careHome))));
    }
    TestSocket outsider = server.socket(server.login(stranger.admin()));
    double batchesBefore = metric("konsil_messages_batch_size_count");
    double messagesBefore = metric("konsil_messages_batch_size_sum");
    String repeated = UUID.randomUUID().toString();
    for (int round = 0; round < 20; round++) {
      for (int s = 0; s < sockets.size(); s++) {
        UUID room = rooms.get(s % rooms.size());
        String id = s == 0 && round == 1 ? repeated : UUID.randomUUID().toString();
        sockets.get(s).send(send(room, id, "Nachricht " + round + "/" + s));
      }
      outsider.send(send(rooms.get(0), UUID.randomUUID().toString(), "not a member"));
    }
    sockets.get(0).send(send(rooms.get(0), repeated, "Nachricht 1/0"));
    List<JsonObject> acks = new ArrayList<>();
    for (TestSocket socket : sockets) {
      for (int i = 0; i < (socket == sockets.get(0) ? 21 : 20); i++) {
        acks.add(socket.next("ack"));
      }
    }
    for (int i = 0; i < 20; i++) {
      assertEquals("not_a_member", outsider.next("error").getString("code"));
    }
    long duplicates = acks.stream().filter(a -> a.getBoolean("duplicate")).count();
    assertEquals(1, duplicates, "the repeated message is acknowledged, not stored again");
    for (UUID room : rooms) {
      long stored = server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
      assertEquals(80, stored);
      assertEquals(
          stored,
          server.count(
              "SELECT count(DISTINCT seq) FROM messages WHERE room_id = '"
                  + room
                  + "'"
                  + " AND seq BETWEEN 1 AND "
                  + stored),
          "gap-free");
      assertEquals(stored, server.count("SELECT last_seq FROM rooms WHERE id = '" + room + "'"));
    }
    Set<String> ids = new HashSet<>();
    acks.forEach(a -> ids.add(a.getString("room") + "/" + a.getLong("seq")));
    assertEquals(400, ids.size(), "every stored message has its own sequence number");
    double batches = metric("konsil_messages_batch_size_count") - batchesBefore;
    double messages = metric("konsil_messages_batch_size_sum") - messagesBefore;
    assertTrue(messages / batches > 1.5, "batches held several messages: " + messages / batches);
    assertEquals(0.0, metric("konsil_messages_batch_retried_total"), "no batch failed as a whole");
    // the batches went live as one event each: a member's socket hears every message once, in order
    Map<String, List<Long>> heard = new HashMap<>();
    for (JsonObject frame : sockets.get(1).messages(400)) {
      heard
          .computeIfAbsent(frame.getString("room"), k -> new ArrayList<>())
          .add(frame.getLong("seq"));
    }
    for (UUID room : rooms) {
      assertEquals(
          LongStream.rangeClosed(1, 80).boxed().toList(), heard.get(room.toString()), "live");
    }
    // and the stranger's socket, whose organisation is in none of the rooms, none of them
    outsider.expectNone("message", 500);
    sockets.forEach(TestSocket::close);
    outsider.close();
  }
}
