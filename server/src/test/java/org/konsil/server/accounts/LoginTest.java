package org.konsil.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Burst;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.Waiting;

/** Logging in with e-mail and password, and how guessing is slowed down and locked out. */
class LoginTest {

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_LOGIN_MAX_FAILURES", "3")
          .with("KONSIL_LOGIN_LOCK_MINUTES", "15")
          .with("KONSIL_LOGIN_MAX_FAILURES_PER_ADDRESS", "12");

  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  static Api.Response login(String email, String password) {
    return server
        .api()
        .post(
            "/api/v1/auth/login",
            new JsonObject().put("email", email).put("password", password),
            null);
  }

  @Test
  void correctPasswordGivesAccessAndRefreshTokens() {
    TestUser user = server.user(practice);
    Api.Response response = login(user.email(), user.password());
    assertEquals(200, response.status());
    JsonObject body = response.json();
    assertEquals("authenticated", body.getString("status"));
    assertEquals("Bearer", body.getString("tokenType"));
    assertEquals(300, body.getLong("expiresIn"));
    assertNotNull(body.getString("refreshToken"));
    assertEquals(user.email(), body.getJsonObject("user").getString("email"));
    Api.Response me = server.api().get("/api/v1/me", body.getString("accessToken"));
    assertEquals(200, me.status());
    assertEquals(practice.id().toString(), me.json().getJsonObject("organisation").getString("id"));
    // E-mail addresses are matched without regard to case.
    assertEquals(200, login(user.email().toUpperCase(), user.password()).status());
  }

  @Test
  void wrongPasswordAndUnknownEmailAnswerAlike() {
    TestUser user = server.user(practice);
    Api.Response wrong = login(user.email(), "not the password at all");
    Api.Response unknown = login("nobody@nowhere.test", "not the password at all");
    assertEquals(401, wrong.status());
    assertEquals("invalid_credentials", wrong.code());
    assertEquals(401, unknown.status());
    assertEquals("invalid_credentials", unknown.code());
    assertEquals("application/problem+json", wrong.contentType());
  }

  @Test
  void repeatedWrongPasswordsLockTheAccountForAWhile() {
    TestUser user = server.user(practice);
    for (int i = 0; i < 3; i++) {
      assertEquals("invalid_credentials", login(user.email(), "wrong password " + i).code());
    }
    Api.Response locked = login(user.email(), user.password());
    assertEquals(429, locked.status());
    assertEquals("account_locked", locked.code());
    long retryAfter = Long.parseLong(locked.headers().get("Retry-After"));
    assertTrue(retryAfter > 0 && retryAfter <= 15 * 60, "Retry-After " + retryAfter);

    server.clock.advance(Duration.ofMinutes(16));
    try {
      assertEquals(200, login(user.email(), user.password()).status());
    } finally {
      server.clock.advance(Duration.ofMinutes(-16));
    }
  }

  @Test
  void repeatedFailuresFromOneAddressAreRateLimited() {
    // Earlier tests in this class counted failures for the same address; move past their window.
    server.clock.advance(Duration.ofMinutes(20));
    try {
      for (int i = 0; i < 12; i++) {
        assertEquals(401, login("guess" + i + "@nowhere.test", "guessing password").status());
      }
      Api.Response limited = login("guess@nowhere.test", "guessing password");
      assertEquals(429, limited.status());
      assertEquals("rate_limited", limited.code());
      assertNotNull(limited.headers().get("Retry-After"));
      // Even the right password waits until the window has passed.
      TestUser user = server.user(practice);
      assertEquals("rate_limited", login(user.email(), user.password()).code());
      server.clock.advance(Duration.ofMinutes(16));
      assertEquals(200, login(user.email(), user.password()).status());
    } finally {
      server.clock.advance(Duration.ofMinutes(-36));
    }
  }

  @Test
  void failuresSentAtOnceFromOneAddressStopAtItsLimit() throws Exception {
    server.clock.advance(Duration.ofHours(3));
    try {
      TestUser user = server.user(practice);
      List<JsonObject> guesses =
          IntStream.range(0, 40)
              .mapToObj(i -> new JsonObject().put("email", user.email()).put("password", "no " + i))
              .toList();
      List<CompletableFuture<Api.Response>> answers;
      try (Connection lock = Burst.holdUserLock(server, user.email())) {
        answers = Burst.post(server, "/api/v1/auth/login", guesses);
        // The twelve the address may try wait for the account's row; the rest are refused at once.
        Waiting.until(
            () -> answers.stream().filter(CompletableFuture::isDone).count() >= 28,
            "28 guesses refused for the address while 12 are under way");
        for (CompletableFuture<Api.Response> answer : answers) {
          if (answer.isDone()) {
            assertEquals("rate_limited", answer.join().code());
          }
        }
        lock.rollback();
      }
      List<Api.Response> all = Burst.all(answers);
      assertEquals(28, all.stream().filter(r -> "rate_limited".equals(r.code())).count());
      assertEquals(3, all.stream().filter(r -> "invalid_credentials".equals(r.code())).count());
      assertEquals(9, all.stream().filter(r -> "account_locked".equals(r.code())).count());
    } finally {
      server.clock.advance(Duration.ofHours(-3));
    }
  }

  @Test
  void unknownAddressLocksLikeAKnownOneSoALockRevealsNoAccount() {
    server.clock.advance(Duration.ofHours(2));
    try {
      for (int i = 0; i < 3; i++) {
        assertEquals(
            "invalid_credentials", login("ghost@nowhere.test", "wrong password " + i).code());
      }
      Api.Response locked = login("ghost@nowhere.test", "wrong password");
      assertEquals(429, locked.status());
      assertEquals("account_locked", locked.code());
    } finally {
      server.clock.advance(Duration.ofHours(-2));
    }
  }

  @Test
  void publicRoutesAcceptATrailingSlash() {
    TestUser user = server.user(practice);
    Api.Response response =
        server
            .api()
            .post(
                "/api/v1/auth/login/",
                new JsonObject().put("email", user.email()).put("password", user.password()),
                null);
    assertEquals(200, response.status(), response.body());
  }

  @Test
  void userWithoutPasswordYetCannotLogIn() throws Exception {
    String email = "pending@" + practice.admin().email().split("@")[1];
    KonsilServer.await(
        server.wiring().organisations().addUserWithLink(practice.id(), email, "Pending", "member"));
    assertEquals("invalid_credentials", login(email, "any password at all").code());
  }

  @Test
  void badRequestsAreRefusedWithStableCodes() {
    Api api = server.api();
    Api.Response malformed =
        api.send(
            io.vertx.core.http.HttpMethod.POST,
            "/api/v1/auth/login",
            null,
            "application/json",
            io.vertx.core.buffer.Buffer.buffer("{\"email\": "));
    assertEquals(400, malformed.status());
    assertEquals("malformed_json", malformed.code());

    Api.Response missing =
        api.post("/api/v1/auth/login", new JsonObject().put("email", "a@b.test"), null);
    assertEquals(422, missing.status());
    assertEquals("validation_failed", missing.code());
    assertTrue(missing.json().getString("detail").contains("password"));

    Api.Response wrongType =
        api.post(
            "/api/v1/auth/login", new JsonObject().put("email", 42).put("password", "x"), null);
    assertEquals("validation_failed", wrongType.code());

    Api.Response notJson =
        api.send(
            io.vertx.core.http.HttpMethod.POST,
            "/api/v1/auth/login",
            null,
            "text/plain",
            io.vertx.core.buffer.Buffer.buffer("email=a&password=b"));
    assertEquals(415, notJson.status());
    assertEquals("unsupported_media_type", notJson.code());

    Api.Response huge =
        api.send(
            io.vertx.core.http.HttpMethod.POST,
            "/api/v1/auth/login",
            null,
            "application/json",
            io.vertx.core.buffer.Buffer.buffer(
                new JsonObject()
                    .put("email", "a@b.test")
                    .put("password", "x".repeat(2_000_000))
                    .encode()));
    assertEquals(413, huge.status());
    assertEquals("payload_too_large", huge.code());
  }
}
