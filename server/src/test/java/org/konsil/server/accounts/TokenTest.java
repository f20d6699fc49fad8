package org.konsil.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;

/** Access tokens expire, refresh tokens rotate, reuse ends the session, logout revokes. */
class TokenTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  static Api.Response refresh(String token) {
    return server
        .api()
        .post("/api/v1/auth/refresh", new JsonObject().put("refreshToken", token), null);
  }

  static int rooms(String accessToken) {
    return server.api().get("/api/v1/rooms", accessToken).status();
  }

  @Test
  void refreshRotatesTheTokenAndTheOldOneCannotBeUsedAgain() {
    Session session = server.login(server.user(practice));
    Api.Response first = refresh(session.refreshToken());
    assertEquals(200, first.status());
    String next = first.json().getString("refreshToken");
    assertNotEquals(session.refreshToken(), next);
    assertEquals(200, rooms(first.json().getString("accessToken")));

    // The old token again: treated as stolen, the whole session ends.
    Api.Response reused = refresh(session.refreshToken());
    assertEquals(401, reused.status());
    assertEquals("refresh_token_reused", reused.code());
    assertEquals("invalid_refresh_token", refresh(next).code());
    assertEquals(401, rooms(first.json().getString("accessToken")));
    assertEquals(401, rooms(session.accessToken()));
  }

  @Test
  void expiredAccessTokenIsRefusedAndRefreshStillWorks() {
    Session session = server.login(server.user(practice));
    server.clock.advance(Duration.ofMinutes(6));
    try {
      Api.Response expired = server.api().get("/api/v1/rooms", session.accessToken());
      assertEquals(401, expired.status());
      assertEquals("invalid_token", expired.code());
      Api.Response renewed = refresh(session.refreshToken());
      assertEquals(200, renewed.status());
      assertEquals(200, rooms(renewed.json().getString("accessToken")));
    } finally {
      server.clock.advance(Duration.ofMinutes(-6));
    }
  }

  @Test
  void sessionEndsAfterItsLifetime() {
    Session session = server.login(server.user(practice));
    server.clock.advance(Duration.ofHours(13));
    try {
      assertEquals("invalid_refresh_token", refresh(session.refreshToken()).code());
    } finally {
      server.clock.advance(Duration.ofHours(-13));
    }
  }

  @Test
  void forgedAndForeignTokensAreRefused() {
    Session session = server.login(server.user(practice));
    String[] parts = session.accessToken().split("\\.");
    String otherPayload =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                new String(java.util.Base64.getUrlDecoder().decode(parts[1]))
                    .replace("\"access\"", "\"access\" ")
                    .getBytes());
    String tampered = parts[0] + "." + otherPayload + "." + parts[2];
    assertEquals(401, rooms(tampered));
    AccessTokens foreign = new AccessTokens(server.clientVertx(), new byte[32], Clock.systemUTC());
    String signedElsewhere =
        foreign.issue(
            new AccessTokens.Claims(
                session.userId(), UUID.randomUUID(), practice.id(), AccessTokens.Purpose.ACCESS),
            Duration.ofMinutes(5));
    assertEquals(401, rooms(signedElsewhere));
    assertEquals(401, rooms("not.a.jwt"));
    assertEquals(401, server.api().get("/api/v1/rooms", null).status());
    assertEquals("unauthenticated", server.api().get("/api/v1/rooms", null).code());
  }

  @Test
  void logoutRevokesAccessAndRefreshTokens() {
    Session session = server.login(server.user(practice));
    assertEquals(
        204, server.api().post("/api/v1/auth/logout", null, session.accessToken()).status());
    assertEquals(401, rooms(session.accessToken()));
    assertEquals("invalid_refresh_token", refresh(session.refreshToken()).code());
  }

  @Test
  void unknownRefreshTokenIsRefused() {
    assertEquals("invalid_refresh_token", refresh("made-up-token").code());
    assertEquals(
        "validation_failed",
        server.api().post("/api/v1/auth/refresh", new JsonObject(), null).code());
  }
}
