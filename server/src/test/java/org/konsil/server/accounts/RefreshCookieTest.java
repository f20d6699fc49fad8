package org.konsil.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;

/**
 * The browser's session: the refresh token travels only in an HttpOnly, SameSite=Strict cookie, and
 * only requests that ask for it with the Konsil-Session header use it.
 */
class RefreshCookieTest {

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer().with("KONSIL_PUBLIC_URL", "https://konsil.example.org");

  static KonsilServer.TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  static Api.Response post(String path, JsonObject body, String token, String cookie, boolean ask) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    if (ask) {
      headers.add("Konsil-Session", "cookie");
    }
    if (cookie != null) {
      headers.add("Cookie", "konsil_refresh=" + cookie);
    }
    return server
        .api()
        .send(HttpMethod.POST, path, token, "application/json", body.toBuffer(), headers);
  }

  static Api.Response login(KonsilServer.TestUser user) {
    return post(
        "/api/v1/auth/login",
        new JsonObject().put("email", user.email()).put("password", user.password()),
        null,
        null,
        true);
  }

  /** The refresh cookie's value from a response's Set-Cookie header. */
  static String cookieValue(Api.Response response) {
    String header = setCookie(response);
    assertNotNull(header, "a Set-Cookie header");
    return header.substring("konsil_refresh=".length(), header.indexOf(';'));
  }

  static String setCookie(Api.Response response) {
    for (String header : response.headers().getAll("Set-Cookie")) {
      if (header.startsWith("konsil_refresh=")) {
        return header;
      }
    }
    return null;
  }

  @Test
  void loginAskingForTheCookieGetsAnHttpOnlyStrictCookieAndNoTokenInTheBody() {
    Api.Response login = login(server.user(practice));
    assertEquals(200, login.status(), login.body());
    assertFalse(login.json().containsKey("refreshToken"), "page scripts never see it");
    assertNotNull(login.json().getString("accessToken"));
    String header = setCookie(login).toLowerCase(java.util.Locale.ROOT);
    assertTrue(header.contains("; httponly"), header);
    assertTrue(header.contains("; samesite=strict"), header);
    assertTrue(header.contains("; path=/api/v1/auth"), header);
    assertTrue(header.contains("; secure"), "the public address is https: " + header);
    assertTrue(header.contains("; max-age=43200"), "the session's lifetime: " + header);
    assertTrue(cookieValue(login).length() >= 22, "at least 128 random bits");
  }

  @Test
  void loginWithoutTheHeaderKeepsTheTokenInTheBodyAndSetsNoCookie() {
    KonsilServer.TestUser user = server.user(practice);
    Api.Response login =
        post(
            "/api/v1/auth/login",
            new JsonObject().put("email", user.email()).put("password", user.password()),
            null,
            null,
            false);
    assertEquals(200, login.status());
    assertNotNull(login.json().getString("refreshToken"));
    assertEquals(null, setCookie(login));
  }

  @Test
  void refreshFromTheCookieRotatesItAndTheOldCookieEndsTheSession() {
    String first = cookieValue(login(server.user(practice)));
    Api.Response refreshed = post("/api/v1/auth/refresh", new JsonObject(), null, first, true);
    assertEquals(200, refreshed.status(), refreshed.body());
    assertFalse(refreshed.json().containsKey("refreshToken"));
    String second = cookieValue(refreshed);
    assertNotEquals(first, second);
    assertEquals(
        200, server.api().get("/api/v1/rooms", refreshed.json().getString("accessToken")).status());

    Api.Response reused = post("/api/v1/auth/refresh", new JsonObject(), null, first, true);
    assertEquals("refresh_token_reused", reused.code());
    assertTrue(setCookie(reused).contains("Max-Age=0"), "the browser forgets the cookie");
    assertEquals(
        "invalid_refresh_token",
        post("/api/v1/auth/refresh", new JsonObject(), null, second, true).code());
  }

  @Test
  void aCookieAloneDoesNothingSoAnotherSiteCannotRefreshOnTheUsersBehalf() {
    String cookie = cookieValue(login(server.user(practice)));
    Api.Response forged = post("/api/v1/auth/refresh", new JsonObject(), null, cookie, false);
    assertEquals(422, forged.status());
    assertEquals("validation_failed", forged.code());
    assertEquals(
        200,
        post("/api/v1/auth/refresh", new JsonObject(), null, cookie, true).status(),
        "the cookie was not used up");
  }

  @Test
  void askingWithoutACookieIsAnEndedSession() {
    Api.Response none = post("/api/v1/auth/refresh", new JsonObject(), null, null, true);
    assertEquals(401, none.status());
    assertEquals("invalid_refresh_token", none.code());
  }

  @Test
  void logoutClearsTheCookieAndEndsTheSession() {
    Api.Response login = login(server.user(practice));
    String cookie = cookieValue(login);
    Api.Response logout =
        post(
            "/api/v1/auth/logout",
            new JsonObject(),
            login.json().getString("accessToken"),
            null,
            true);
    assertEquals(204, logout.status());
    assertTrue(setCookie(logout).contains("Max-Age=0"), setCookie(logout));
    assertEquals(
        "invalid_refresh_token",
        post("/api/v1/auth/refresh", new JsonObject(), null, cookie, true).code());
  }

  @Test
  void anUnknownOrMalformedCookieIsAnEndedSessionAndIsCleared() {
    for (String cookie : new String[] {"not-a-token", "x".repeat(300), "%00;"}) {
      Api.Response refused = post("/api/v1/auth/refresh", new JsonObject(), null, cookie, true);
      assertEquals(401, refused.status(), cookie);
      assertEquals("invalid_refresh_token", refused.code(), cookie);
      assertTrue(setCookie(refused).contains("Max-Age=0"), "the browser forgets it: " + cookie);
    }
  }

  @Test
  void anotherValueOfTheSessionHeaderIsNotACookieRequest() {
    KonsilServer.TestUser user = server.user(practice);
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Konsil-Session", "token");
    Api.Response login =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/auth/login",
                null,
                "application/json",
                new JsonObject()
                    .put("email", user.email())
                    .put("password", user.password())
                    .toBuffer(),
                headers);
    assertEquals(200, login.status());
    assertNotNull(login.json().getString("refreshToken"), "answered as to an integrator");
    assertEquals(null, setCookie(login));
  }
}
