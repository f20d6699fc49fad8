package org.konsil.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;

/** The one-time set-password link: works once, expires, and refuses weak passwords. */
class SetPasswordTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  static String newUserToken(String email) {
    String link =
        KonsilServer.await(
            server
                .wiring()
                .organisations()
                .addUserWithLink(practice.id(), email, "New User", "member"));
    return link.substring(link.indexOf("#token=") + "#token=".length());
  }

  static Api.Response setPassword(String token, String password) {
    return server
        .api()
        .post(
            "/api/v1/auth/set-password",
            new JsonObject().put("token", token).put("password", password),
            null);
  }

  static int login(String email, String password) {
    return server
        .api()
        .post(
            "/api/v1/auth/login",
            new JsonObject().put("email", email).put("password", password),
            null)
        .status();
  }

  @Test
  void linkSetsThePasswordOnce() {
    String token = newUserToken("once@practice.test");
    assertEquals(204, setPassword(token, "first good password").status());
    assertEquals(200, login("once@practice.test", "first good password"));
    Api.Response again = setPassword(token, "second good password");
    assertEquals(410, again.status());
    assertEquals("invalid_password_token", again.code());
    assertEquals(401, login("once@practice.test", "second good password"));
  }

  @Test
  void expiredLinkIsRefused() {
    String token = newUserToken("late@practice.test");
    server.clock.advance(Duration.ofHours(73));
    try {
      assertEquals("invalid_password_token", setPassword(token, "a good password here").code());
    } finally {
      server.clock.advance(Duration.ofHours(-73));
    }
    assertEquals(401, login("late@practice.test", "a good password here"));
  }

  @Test
  void weakPasswordIsRefusedAndTheLinkStaysUsable() {
    String token = newUserToken("weak@practice.test");
    Api.Response weak = setPassword(token, "short");
    assertEquals(422, weak.status());
    assertEquals("weak_password", weak.code());
    assertEquals(204, setPassword(token, "now a long password").status());
  }

  @Test
  void unknownTokenIsRefused() {
    assertEquals("invalid_password_token", setPassword("invented", "a long password here").code());
  }
}
