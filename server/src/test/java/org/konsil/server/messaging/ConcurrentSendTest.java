package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Waiting;

/**
 * A send is one statement that waits for the patient's row lock (shared) and the room's. What
 * commits while it waits (a revocation, the same message sent again) is seen once the lock is
 * granted; a revocation that begins after it waits for it.
 */
class ConcurrentSendTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  /** A database session of its own that holds a row's lock until it commits. */
  static Connection holdLock(String table, UUID id) throws SQLException {
    var db = server.database();
    Connection holder = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    holder.setAutoCommit(false);
    holder
        .createStatement()
        .execute("SELECT 1 FROM " + table + " WHERE id = '" + id + "' FOR UPDATE");
    return holder;
  }

  static CompletableFuture<Api.Response> sendLater(UUID room, String clientMsgId, String text) {
    return CompletableFuture.supplyAsync(
        () ->
            server
                .api()
                .post(
                    "/api/v1/rooms/" + room + "/messages",
                    new JsonObject().put("clientMsgId", clientMsgId).put("content", text),
                    network.anna().accessToken()));
  }

  static void awaitLockWaiters(int waiting) {
    Waiting.until(
        () ->
            server.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND query LIKE '%WITH input AS%'")
                >= waiting,
        waiting + " sends waiting for a lock");
  }

  /**
   * A session of its own that holds the patient's row lock and then the room's, the way a
   * revocation takes them, until it commits.
   */
  static Connection holdPatientAndRoomLocks(UUID patient, UUID room) throws SQLException {
    Connection holder = holdLock("patients", patient);
    holder.createStatement().execute("SELECT 1 FROM rooms WHERE id = '" + room + "' FOR UPDATE");
    return holder;
  }

  static void awaitAnyLockWaiters(int waiting) {
    Waiting.until(
        () ->
            server.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                >= waiting,
        waiting + " sessions waiting for a lock");
  }

  @Test
  void aSendWaitingWhileARevocationCommitsIsRefused() throws Exception {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Wartend");
    UUID patient = patientRoom.patient();
    UUID room = patientRoom.room();
    long before = server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
    try (Connection revocation = holdPatientAndRoomLocks(patient, room)) {
      CompletableFuture<Api.Response> waiting =
          sendLater(room, UUID.randomUUID().toString(), "sent while the consent is revoked");
      awaitLockWaiters(1);
      // the one record of a revocation, written while the send waits
      revocation
          .createStatement()
          .execute("UPDATE patients SET consent_revoked_at = now() WHERE id = '" + patient + "'");
      revocation.commit();
      Api.Response refused = waiting.get(20, TimeUnit.SECONDS);
      assertEquals(409, refused.status(), refused.body());
      assertEquals("consent_revoked", refused.code());
    }
    assertEquals(
        before,
        server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"),
        "nothing stored after the revocation");
  }

  @Test
  void aSendWaitingForTheRoomIsStoredBeforeARevocationThatBeganAfterIt() throws Exception {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Vorher");
    UUID room = patientRoom.room();
    String revocation = "/api/v1/patients/" + patientRoom.patient() + "/revocation?date=2026-11-20";
    CompletableFuture<Api.Response> send;
    CompletableFuture<Api.Response> revoke;
    try (Connection holder = holdLock("rooms", room)) {
      send = sendLater(room, UUID.randomUUID().toString(), "sent before the revocation");
      awaitLockWaiters(1);
      revoke =
          CompletableFuture.supplyAsync(
              () ->
                  server
                      .api()
                      .send(HttpMethod.POST, revocation, network.anna().accessToken(), null, null));
      // the send holds the patient's shared lock, so the revocation waits for it
      awaitAnyLockWaiters(2);
      holder.commit();
    }
    Api.Response stored = send.get(20, TimeUnit.SECONDS);
    Api.Response revoked = revoke.get(20, TimeUnit.SECONDS);
    assertEquals(201, stored.status(), stored.body());
    assertEquals(200, revoked.status(), revoked.body());
    long notice =
        server.count("SELECT seq FROM messages WHERE room_id = '" + room + "' AND kind = 'system'");
    assertEquals(stored.json().getLong("seq") + 1, notice, "the notice follows the message");
  }

  @Test
  void theSameMessageSentTwiceAtOnceIsStoredOnceAndBothSendsGetItsAck() throws Exception {
    UUID room = server.room(network.anna(), network.careHome().id());
    String clientMsgId = UUID.randomUUID().toString();
    List<CompletableFuture<Api.Response>> sends;
    try (Connection holder = holdLock("rooms", room)) {
      sends =
          List.of(
              sendLater(room, clientMsgId, "twice at once"),
              sendLater(room, clientMsgId, "twice at once"));
      awaitLockWaiters(2);
      holder.commit();
    }
    Api.Response first = sends.get(0).get(20, TimeUnit.SECONDS);
    Api.Response second = sends.get(1).get(20, TimeUnit.SECONDS);
    assertEquals(
        List.of(200, 201),
        first.status() < second.status()
            ? List.of(first.status(), second.status())
            : List.of(second.status(), first.status()),
        first.body() + " / " + second.body());
    assertEquals(first.json().getLong("seq"), second.json().getLong("seq"));
    assertEquals(first.json().getString("id"), second.json().getString("id"));
    assertEquals(
        1,
        server.count("SELECT count(*) FROM messages WHERE client_msg_id = '" + clientMsgId + "'"));
  }
}
