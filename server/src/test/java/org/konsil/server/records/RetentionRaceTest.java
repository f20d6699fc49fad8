package org.konsil.server.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.DirectMessage;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.Waiting;

/**
 * The retention job against a room that is written to while it runs: an acknowledged message is
 * never deleted with a room that was due when the job listed it. A session of the test's own holds
 * a lock the job needs, so that each step happens in a known order.
 */
class RetentionRaceTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static Connection session() throws Exception {
    DatabaseSettings db = server.database();
    Connection connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    connection.setAutoCommit(false);
    return connection;
  }

  static void jobWaitsForALock() {
    waitingForLocks(1, "the retention job waits for the test's lock");
  }

  static void waitingForLocks(int sessions, String what) {
    Waiting.until(
        () ->
            server.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND backend_type = 'client backend'")
                >= sessions,
        what);
  }

  static long messages(UUID room) {
    return server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
  }

  /** A general room with three messages, past its retention (six years by default). */
  static UUID dueRoom(CareNetwork network) {
    UUID room = server.room(network.anna(), network.careHome().id());
    for (int i = 1; i <= 3; i++) {
      server.sendRest(network.anna(), room, "Dienstplan " + i);
    }
    server.clock.advance(Duration.ofDays(7 * 365));
    return room;
  }

  /** Anna again, seven years on (her earlier session has long expired). */
  static Session anna(CareNetwork network) {
    return server.login(network.anna().user());
  }

  @Test
  void aRoomWrittenToAfterTheJobListedItIsNotDue() throws Exception {
    CareNetwork network = CareNetwork.create(server);
    UUID room = dueRoom(network);
    Future<RetentionJob.Report> running;
    try (Connection sender = session()) {
      // a send that has the room's lock: its message is committed once the job has listed the room
      sender
          .createStatement()
          .execute(
              "SELECT 1 FROM rooms WHERE id = '"
                  + room
                  + "' FOR UPDATE;"
                  + DirectMessage.text(
                          room, network.anna().userId(), network.practice().id(), "Noch aktuell")
                      .sql(server.clock.instant()));
      running = server.wiring().records().retentionJob().runOnce();
      jobWaitsForALock();
      sender.commit();
    }
    KonsilServer.await(running);
    assertEquals(4, messages(room), "the room was written to: not due any more, nothing deleted");
    assertEquals(
        2, server.count("SELECT count(*) FROM room_members WHERE room_id = '" + room + "'"));
    assertEquals(201, send(anna(network), room, "Danke").status(), "the room goes on");
  }

  static Api.Response send(Session anna, UUID room, String content) {
    return server
        .api()
        .post(
            "/api/v1/rooms/" + room + "/messages",
            new JsonObject()
                .put("clientMsgId", UUID.randomUUID().toString())
                .put("content", content),
            anna.accessToken());
  }

  @Test
  void aSendWhileTheJobRemovesTheRoomIsRefusedAndNothingAcknowledgedIsDeleted() throws Exception {
    CareNetwork network = CareNetwork.create(server);
    UUID room = dueRoom(network);
    Future<RetentionJob.Report> running;
    Api.Response during;
    Session anna = anna(network);
    try (Connection reader = session()) {
      // a lock on the room's oldest message keeps the job in its first batch of deletions
      reader
          .createStatement()
          .execute("SELECT 1 FROM messages WHERE room_id = '" + room + "' AND seq = 1 FOR UPDATE");
      running = server.wiring().records().retentionJob().runOnce();
      jobWaitsForALock();
      during = send(anna, room, "Bitte noch lesen");
      reader.commit();
    }
    assertEquals("not_a_member", during.code(), during.status() + " " + during.body());
    RetentionJob.Report report = KonsilServer.await(running);
    assertTrue(report.rooms() >= 1 && report.messages() >= 3, report.toString());
    assertEquals(0, server.count("SELECT count(*) FROM rooms WHERE id = '" + room + "'"));
    assertEquals(0, messages(room), "nothing was acknowledged in it, nothing of it is left");
  }

  @Test
  void aSendWaitingForTheRoomWhileTheJobTakesItIsRefused() throws Exception {
    CareNetwork network = CareNetwork.create(server);
    UUID room = dueRoom(network);
    Session anna = anna(network);
    Future<RetentionJob.Report> running;
    CompletableFuture<Api.Response> sending;
    try (Connection blocker = session()) {
      blocker.createStatement().execute("SELECT 1 FROM rooms WHERE id = '" + room + "' FOR UPDATE");
      running = server.wiring().records().retentionJob().runOnce();
      waitingForLocks(1, "the job waits to take the room");
      // the send's statement begins while the room still has its members, and waits behind the job
      sending = CompletableFuture.supplyAsync(() -> send(anna, room, "Noch eine Frage"));
      waitingForLocks(2, "the send waits for the room behind the job");
      blocker.commit();
    }
    Api.Response sent = sending.get(30, TimeUnit.SECONDS);
    assertEquals("not_a_member", sent.code(), sent.status() + " " + sent.body());
    KonsilServer.await(running);
    assertEquals(0, server.count("SELECT count(*) FROM rooms WHERE id = '" + room + "'"));
    assertEquals(0, messages(room), "nothing was acknowledged in it, nothing of it is left");
  }

  @Test
  void aPatientsConsentCanBeRevokedWhileOneOfTheirRoomsIsBeingRemoved() throws Exception {
    CareNetwork network = CareNetwork.create(server);
    CareNetwork.PatientRoom old = network.patientRoom("Ruhestand");
    server.sendRest(network.anna(), old.room(), "Abschlussbericht");
    server.clock.advance(Duration.ofDays(11 * 365));
    Session anna = anna(network);
    Future<RetentionJob.Report> running;
    Api.Response revocation;
    try (Connection reader = session()) {
      reader
          .createStatement()
          .execute(
              "SELECT 1 FROM messages WHERE room_id = '" + old.room() + "' AND seq = 1 FOR UPDATE");
      running = server.wiring().records().retentionJob().runOnce();
      jobWaitsForALock();
      // the room is taken for removal: its revocation notice goes with it, the revocation stands
      revocation =
          server
              .api()
              .send(
                  HttpMethod.POST,
                  "/api/v1/patients/"
                      + old.patient()
                      + "/revocation?date="
                      + LocalDate.ofInstant(server.clock.instant(), ZoneOffset.UTC),
                  anna.accessToken(),
                  null,
                  null);
      reader.commit();
    }
    assertEquals(200, revocation.status(), revocation.body());
    KonsilServer.await(running);
    assertEquals(0, server.count("SELECT count(*) FROM rooms WHERE id = '" + old.room() + "'"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM patients WHERE id = '"
                + old.patient()
                + "' AND consent_revoked_at IS NOT NULL"));
  }
}
