package org.konsil.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/** The heartbeat that keeps this node's presence rows alive and right. */
class PresenceHeartbeatTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static long presenceOf(Session session) {
    return server.count("SELECT count(*) FROM presence WHERE user_id = '" + session.userId() + "'");
  }

  static void heartbeat() {
    KonsilServer.await(server.wiring().presence().heartbeat());
  }

  @Test
  void heartbeatRefreshesTheNodeRowAndRepairsLostOrStrayPresence() {
    Session anna = server.login(server.organisation("practice").admin());
    try (TestSocket socket = server.socket(anna)) {
      Waiting.until(() -> presenceOf(anna) == 1, "the socket's presence row");
      // a heartbeat long ago, and a presence write that got lost
      TestDatabase.execute(
          server.database(), "UPDATE nodes SET seen_at = now() - interval '10 minutes'");
      TestDatabase.execute(server.database(), "DELETE FROM presence");

      heartbeat();

      assertEquals(
          1,
          server.count("SELECT count(*) FROM nodes WHERE seen_at > now() - interval '30 seconds'"),
          "this node's heartbeat row is fresh again");
      assertEquals(1, presenceOf(anna), "the lost presence row is back");
    }
    Waiting.until(() -> presenceOf(anna) == 0, "presence gone with the socket");
    // a row left behind by a write that raced the disconnect
    TestDatabase.execute(
        server.database(),
        "INSERT INTO presence (node_id, user_id) SELECT id, '" + anna.userId() + "' FROM nodes");
    assertEquals(1, presenceOf(anna));

    heartbeat();

    assertEquals(0, presenceOf(anna), "the stray row is removed");
  }
}
