package org.konsil.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.konsil.db.EmbeddedDatabase;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.EmbeddedKonsil;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/**
 * Konsil with its defaults (embedded PostgreSQL), run as an operator runs it, killed as a power cut
 * or an impatient operator would: every acknowledged message survives, and every restart works
 * without a hand on the keyboard.
 */
class CrashRecoveryTest {

  /** Five in CI; more with -Dkonsil.crash.rounds=N (see bench/RESULTS.md). */
  static final int ROUNDS = Integer.getInteger("konsil.crash.rounds", 5);

  static Vertx client;

  @BeforeAll
  static void setUp() {
    client = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() throws Exception {
    client.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void acknowledgedMessagesSurviveKillingKonsilAndItsDatabaseTogether() throws Exception {
    Path data = Scratch.folder("konsil-crash");
    Set<String> acked = new LinkedHashSet<>();
    UUID room = null;
    for (int round = 0; round < ROUNDS; round++) {
      EmbeddedKonsil node = EmbeddedKonsil.start(client, data);
      try {
        String access = node.login();
        room = node.generalRoom(access);
        try (TestSocket socket = node.socket(client, access)) {
          for (int i = 0; i < 400; i++) {
            socket.send(
                new JsonObject()
                    .put("type", "send")
                    .put("room", room.toString())
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("content", "Runde " + round + ", Nachricht " + i));
          }
          // in the middle of the burst: some acked, more on their way
          for (int i = 0; i < 30; i++) {
            acked.add(socket.next("ack").getString("clientMsgId"));
          }
          node.killEverything();
          socket.awaitClose();
          for (JsonObject frame : socket.remaining()) {
            if ("ack".equals(frame.getString("type"))) {
              acked.add(frame.getString("clientMsgId"));
            }
          }
        }
      } finally {
        node.close();
      }
    }
    EmbeddedKonsil node = EmbeddedKonsil.start(client, data);
    try (Connection db = node.superuser();
        Statement s = db.createStatement()) {
      for (String clientMsgId : acked) {
        try (ResultSet rows =
            s.executeQuery(
                "SELECT count(*) FROM messages WHERE client_msg_id = '" + clientMsgId + "'")) {
          rows.next();
          assertEquals(1, rows.getInt(1), "acknowledged message " + clientMsgId + " stored once");
        }
      }
      try (ResultSet rows =
          s.executeQuery(
              "SELECT count(*), coalesce(max(seq), 0), count(DISTINCT client_msg_id)"
                  + " FROM messages WHERE room_id = '"
                  + room
                  + "' AND kind = 'text'")) {
        rows.next();
        assertTrue(rows.getLong(1) >= acked.size(), "stored at least every acked message");
        assertEquals(rows.getLong(1), rows.getLong(3), "no message stored twice");
      }
      try (ResultSet rows =
          s.executeQuery(
              "SELECT count(*), coalesce(max(seq), 0) FROM messages WHERE room_id = '"
                  + room
                  + "'")) {
        rows.next();
        assertEquals(rows.getLong(1), rows.getLong(2), "the room's sequence has no gap");
      }
      try (ResultSet rows =
          s.executeQuery(
              "SELECT current_setting('fsync'), current_setting('synchronous_commit'),"
                  + " current_setting('full_page_writes')")) {
        rows.next();
        assertEquals("on", rows.getString(1));
        assertEquals("on", rows.getString(2));
        assertEquals("on", rows.getString(3));
      }
    } finally {
      node.close();
    }
    assertTrue(acked.size() >= ROUNDS * 30, "acked " + acked.size());
    System.out.printf(
        "crash rounds: %d, acknowledged messages: %d, each stored exactly once%n",
        ROUNDS, acked.size());
  }

  @Test
  void aDatabaseLeftRunningByAKilledKonsilIsStoppedAtTheNextStartAndNoOtherOne() throws Exception {
    Path data = Scratch.folder("konsil-orphan");
    Path neighbourFolder = Scratch.folder("konsil-neighbour").resolve("postgres");
    try (EmbeddedDatabase neighbour = EmbeddedDatabase.start(neighbourFolder, 0)) {
      long neighbourPid =
          EmbeddedDatabase.postmasterPid(neighbour.pgdata()).orElseThrow(AssertionError::new);
      EmbeddedKonsil first = EmbeddedKonsil.start(client, data);
      EmbeddedKonsil second = null;
      try {
        long orphanPid = first.postmasterPid();
        first.process().kill();
        first.process().awaitExit(60);
        assertTrue(alive(orphanPid), "the kill left Konsil's PostgreSQL running");

        second = EmbeddedKonsil.start(client, data);
        assertTrue(
            second.process().output().contains("still running (pid " + orphanPid + ")"),
            second.process().output());
        assertFalse(alive(orphanPid), "the orphan was stopped");
        assertTrue(second.postmasterPid() != orphanPid);
        assertTrue(alive(neighbourPid), "another folder's PostgreSQL is left alone");
        assertEquals(200, second.api().get("/health", null).status());
      } finally {
        if (second != null) {
          second.close();
        }
        // only now: closing it stops what its kill left running
        first.close();
      }
    }
  }

  @Test
  void sigtermRefusesNewRequestsLetsRunningOnesAnswerStopsTheDatabaseLastAndExitsWithZero()
      throws Exception {
    Path data = Scratch.folder("konsil-sigterm");
    EmbeddedKonsil node = EmbeddedKonsil.start(client, data);
    HttpClient http = client.createHttpClient();
    try {
      long postmaster = node.postmasterPid();
      // a request whose body is still arriving when the stop begins
      HttpClientRequest running =
          http.request(HttpMethod.POST, node.port(), "127.0.0.1", "/api/v1/auth/login")
              .await(10, TimeUnit.SECONDS);
      running.setChunked(true).putHeader("Content-Type", "application/json");
      running
          .write("{\"email\": \"" + EmbeddedKonsil.DEMO_USER + "\",")
          .await(10, TimeUnit.SECONDS);
      var answer = running.response();
      // the server counts it (and the metrics request itself) as active
      Waiting.until(
          () -> activeRequests(node.api().get("/metrics", null).body()) >= 2,
          "the server has begun the slow request");

      node.process().terminate();
      Api.Response[] refused = new Api.Response[1];
      Waiting.until(
          () -> {
            try {
              refused[0] = node.api().get("/health", null);
              return refused[0].status() == 503;
            } catch (IllegalStateException connectionClosedAfterA503) {
              return false; // a kept-alive connection that the server closed: ask again
            }
          },
          "new requests are refused while Konsil stops");
      assertEquals("DOWN", refused[0].json().getString("status"), "health in its own shape");
      assertEquals("5", refused[0].headers().get("Retry-After"));

      running.end("\"password\": \"" + EmbeddedKonsil.DEMO_PASSWORD + "\"}");
      var response = answer.await(30, TimeUnit.SECONDS);
      assertEquals(200, response.statusCode(), "the running request was answered, not cut off");

      assertEquals(0, node.process().awaitExit(60), node.process().output());
      String output = node.process().output();
      int socketsClosed = output.indexOf("sockets closed; stopping the servers");
      int databaseStopped = output.indexOf("the embedded PostgreSQL has stopped");
      assertTrue(socketsClosed > 0 && databaseStopped > socketsClosed, output);
      assertFalse(alive(postmaster), "the embedded PostgreSQL stopped with Konsil");
    } finally {
      http.close();
      node.close();
    }
  }

  static double activeRequests(String metrics) {
    return metrics
        .lines()
        .filter(line -> line.startsWith("vertx_http_server_active_requests"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** Whether the process runs: an ended one that nobody has reaped yet (a zombie) does not. */
  static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (java.io.IOException gone) {
      return false;
    }
  }
}
