package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/**
 * A socket's ticket, session and account are read from the database before the socket joins its
 * gateway. An end (revoked session, disabled account) committed in between sends its event while
 * the socket is not yet where the event looks for it. The gateway remembers the ends it heard and
 * ends a joining socket whose check began before one of them. The test holds the socket's ticket
 * row, so that its check waits while the end's event goes by; one event loop, so one gateway, which
 * an earlier socket of the same user shows has heard the event. The database itself is left as it
 * was: what a check reads does not change, only when the event comes.
 */
class EndedWhileJoiningTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_EVENT_LOOPS", "1");

  static LiveEvents live() {
    return new LiveEvents(server.serverVertx().eventBus());
  }

  static String ticket(Session session) {
    return server
        .api()
        .post("/api/v1/ws-tickets", null, session.accessToken())
        .json()
        .getString("ticket");
  }

  /** The user's unredeemed tickets, locked by a session of the test's own until it commits. */
  static Connection holdTickets(UUID user) throws Exception {
    DatabaseSettings db = server.database();
    Connection holder = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    holder.setAutoCommit(false);
    holder
        .createStatement()
        .execute("SELECT 1 FROM ws_tickets WHERE user_id = '" + user + "' FOR UPDATE");
    return holder;
  }

  /** A socket whose check has begun and waits for the test's lock on its ticket. */
  static TestSocket checking(String ticket) {
    TestSocket socket =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws?ticket=" + ticket);
    Waiting.until(
        () ->
            server.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND backend_type = 'client backend'")
                > 0,
        "the socket's check waits for its ticket");
    return socket;
  }

  static UUID sessionOf(Session session) {
    String payload = session.accessToken().split("\\.")[1];
    JsonObject claims =
        new JsonObject(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
    return UUID.fromString(claims.getString("sid"));
  }

  static void stillServed(TestSocket socket) {
    socket.send(new JsonObject().put("type", "ping").put("ref", "still-there"));
    assertEquals("still-there", socket.next("pong").getString("ref"));
  }

  /**
   * A socket of the session starts its check and waits on its ticket; the end goes out, and the
   * earlier socket (same gateway) shows it was heard; then the check goes on. The joining socket
   * must get the end's error and close code.
   */
  static void endedWhileChecking(Session session, TestSocket earlier, Runnable end, String code)
      throws Exception {
    String ticket = ticket(session);
    TestSocket joining;
    try (Connection held = holdTickets(session.userId())) {
      joining = checking(ticket);
      end.run();
      assertEquals(code, earlier.next("error").getString("code"));
      held.commit();
    }
    try (joining) {
      assertEquals(code, joining.next("error").getString("code"));
      assertEquals(4003, joining.awaitClose());
    }
  }

  @Test
  void aSocketBeingCheckedWhenItsAccountWasDisabledIsEndedWhenItJoins() throws Exception {
    CareNetwork network = CareNetwork.create(server);
    KonsilServer.TestUser nurse = server.user(network.careHome());
    Session later = server.login(nurse);
    try (TestSocket earlier = server.socket(server.login(nurse))) {
      endedWhileChecking(
          later, earlier, () -> live().userDisabled(later.userId()), "account_disabled");
    }
    // an account enabled again: a socket whose check begins after the end was heard goes on
    try (TestSocket again = server.socket(later)) {
      stillServed(again);
    }
  }

  @Test
  void aSocketBeingCheckedWhenItsSessionWasRevokedIsEndedWhenItJoinsAndOtherSessionsGoOn()
      throws Exception {
    CareNetwork network = CareNetwork.create(server);
    KonsilServer.TestUser nurse = server.user(network.careHome());
    Session revoked = server.login(nurse);
    Session other = server.login(nurse);
    try (TestSocket earlier = server.socket(revoked)) {
      endedWhileChecking(
          revoked, earlier, () -> live().sessionRevoked(sessionOf(revoked)), "session_ended");
      try (TestSocket goesOn = server.socket(other)) {
        stillServed(goesOn);
      }
    }
  }
}
