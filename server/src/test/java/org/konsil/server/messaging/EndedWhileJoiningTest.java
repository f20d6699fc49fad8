package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;

/**
 * A socket's session and account are read from the database before the socket joins its gateway. An
 * end (logout, revoked session, disabled account) committed in between sends its event while the
 * socket is not yet where the event looks for it. The gateway remembers recent ends and ends such a
 * socket when it joins. Here the database still says "valid" when the socket is checked, and the
 * end's event has already gone by: the order of that race. One event loop, so one gateway, which
 * the first socket shows has heard the event.
 */
class EndedWhileJoiningTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_EVENT_LOOPS", "1");

  static LiveEvents live() {
    return new LiveEvents(server.serverVertx().eventBus());
  }

  /** A socket that has not (yet) said ready; its ticket is checked against the database. */
  static TestSocket connecting(Session session) {
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, session.accessToken())
            .json()
            .getString("ticket");
    return TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws?ticket=" + ticket);
  }

  static UUID sessionOf(Session session) {
    String payload = session.accessToken().split("\\.")[1];
    JsonObject claims =
        new JsonObject(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
    return UUID.fromString(claims.getString("sid"));
  }

  @Test
  void aSocketCheckedJustBeforeItsAccountWasDisabledIsEndedWhenItJoins() {
    CareNetwork network = CareNetwork.create(server);
    KonsilServer.TestUser nurse = server.user(network.careHome());
    try (TestSocket earlier = server.socket(server.login(nurse))) {
      Session later = server.login(nurse);
      live().userDisabled(later.userId());
      assertEquals("account_disabled", earlier.next("error").getString("code"));
      try (TestSocket joining = connecting(later)) {
        assertEquals("account_disabled", joining.next("error").getString("code"));
        assertEquals(4003, joining.awaitClose());
      }
    }
  }

  @Test
  void aSocketCheckedJustBeforeItsSessionWasRevokedIsEndedWhenItJoinsAndOtherSessionsGoOn() {
    CareNetwork network = CareNetwork.create(server);
    KonsilServer.TestUser nurse = server.user(network.careHome());
    Session revoked = server.login(nurse);
    Session other = server.login(nurse);
    try (TestSocket earlier = server.socket(revoked)) {
      live().sessionRevoked(sessionOf(revoked));
      assertEquals("session_ended", earlier.next("error").getString("code"));
      try (TestSocket joining = connecting(revoked)) {
        assertEquals("session_ended", joining.next("error").getString("code"));
        assertEquals(4003, joining.awaitClose());
      }
      try (TestSocket goesOn = server.socket(other)) {
        goesOn.send(new JsonObject().put("type", "ping").put("ref", "still-there"));
        assertEquals("still-there", goesOn.next("pong").getString("ref"));
      }
    }
  }
}
