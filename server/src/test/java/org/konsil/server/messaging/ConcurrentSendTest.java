package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * A send is one statement that waits for the room's row lock. What commits while it waits (a
 * revocation, the same message sent again) is seen once the lock is granted.
 */
class ConcurrentSendTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  /** A database session of its own that holds the room's row lock until it commits. */
  static Connection holdRoomLock(UUID room) throws SQLException {
    var db = server.database();
    Connection holder = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    holder.setAutoCommit(false);
    holder.createStatement().execute("SELECT 1 FROM rooms WHERE id = '" + room + "' FOR UPDATE");
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
                        + " AND query LIKE 'WITH input AS%'")
                >= waiting,
        waiting + " sends waiting for the room lock");
  }

  @Test
  void aSendWaitingForTheLockWhileTheRoomIsClosedByARevocationIsRefused() throws Exception {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Wartend");
    UUID patient = patientRoom.patient();
    UUID room = patientRoom.room();
    long before = server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'");
    try (Connection revocation = holdRoomLock(room)) {
      CompletableFuture<Api.Response> waiting =
          sendLater(room, UUID.randomUUID().toString(), "sent while the consent is revoked");
      awaitLockWaiters(1);
      // what the revocation's transaction changes on the rows a send reads
      revocation
          .createStatement()
          .execute("UPDATE rooms SET closed_at = now() WHERE id = '" + room + "'");
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
  void theSameMessageSentTwiceAtOnceIsStoredOnceAndBothSendsGetItsAck() throws Exception {
    UUID room = server.room(network.anna(), network.careHome().id());
    String clientMsgId = UUID.randomUUID().toString();
    List<CompletableFuture<Api.Response>> sends;
    try (Connection holder = holdRoomLock(room)) {
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
