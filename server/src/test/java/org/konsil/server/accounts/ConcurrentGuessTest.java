package org.konsil.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.sql.Connection;
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

/**
 * Guesses sent at once count like guesses sent one after the other: no more of them are checked and
 * answered "wrong" than the lock allows, and the rest answer {@code 429 account_locked}.
 */
class ConcurrentGuessTest {

  static final int GUESSES = 40;
  static final int MAX_FAILURES = 5;

  // The per-address limit is LoginTest's subject; here it is set out of the way.
  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_LOGIN_MAX_FAILURES", Integer.toString(MAX_FAILURES))
          .with("KONSIL_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000");

  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  /**
   * Sends the bodies at once while the user's row is locked, lets go once many of them queue for
   * it, and answers every response.
   */
  static List<Api.Response> whileQueued(TestUser user, String path, List<JsonObject> bodies)
      throws Exception {
    List<CompletableFuture<Api.Response>> answers;
    try (Connection lock = Burst.holdUserLock(server, user.email())) {
      answers = Burst.post(server, path, bodies);
      Burst.awaitLockWaiters(server, 10);
      lock.rollback();
    }
    return Burst.all(answers);
  }

  static void assertCountedUpToTheLimit(List<Api.Response> answers, String wrongCode) {
    long wrong = answers.stream().filter(r -> r.status() == 401).count();
    assertEquals(MAX_FAILURES, wrong, "guesses answered 401");
    for (Api.Response answer : answers) {
      if (answer.status() == 401) {
        assertEquals(wrongCode, answer.code());
      } else {
        assertLocked(answer);
      }
    }
  }

  static JsonObject passwordBody(TestUser user, String password) {
    return new JsonObject().put("email", user.email()).put("password", password);
  }

  static Api.Response password(TestUser user) {
    return server.api().post("/api/v1/auth/login", passwordBody(user, user.password()), null);
  }

  static void assertLocked(Api.Response response) {
    assertEquals(429, response.status(), response.body());
    assertEquals("account_locked", response.code());
    long retryAfter = Long.parseLong(response.headers().get("Retry-After"));
    assertTrue(retryAfter > 0 && retryAfter <= 15 * 60, "Retry-After " + retryAfter);
  }

  /** Enrols the user in TOTP; answers the secret. */
  static String enrol(TestUser user) {
    String token = server.login(user).accessToken();
    String secret =
        server.api().post("/api/v1/me/second-factor", null, token).json().getString("secret");
    Api.Response confirmed =
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", Totp.codeAt(secret, step())),
                token);
    assertEquals(200, confirmed.status(), confirmed.body());
    return secret;
  }

  static long step() {
    return server.clock.instant().getEpochSecond() / 30;
  }

  static String challenge(TestUser user) {
    Api.Response first = password(user);
    assertEquals("second_factor_required", first.json().getString("status"), first.body());
    return first.json().getString("challenge");
  }

  /** A six-digit code that matches none of the steps the server accepts right now. */
  static String wrongCode(String secret) {
    for (int candidate = 0; ; candidate++) {
      String code = String.format("%06d", candidate);
      boolean matches = false;
      for (long step = step() - 1; step <= step() + 1; step++) {
        matches |= code.equals(Totp.codeAt(secret, step));
      }
      if (!matches) {
        return code;
      }
    }
  }

  @Test
  void wrongPasswordsSentAtOnceStopAtTheLock() throws Exception {
    TestUser user = server.user(practice);
    List<JsonObject> guesses =
        IntStream.range(0, GUESSES).mapToObj(i -> passwordBody(user, "wrong guess " + i)).toList();
    assertCountedUpToTheLimit(
        whileQueued(user, "/api/v1/auth/login", guesses), "invalid_credentials");
    assertLocked(password(user));
  }

  @Test
  void wrongCodesSentAtOnceStopAtTheLock() throws Exception {
    TestUser user = server.user(practice);
    String secret = enrol(user);
    String challenge = challenge(user);
    String wrongCode = wrongCode(secret);
    List<JsonObject> guesses =
        IntStream.range(0, GUESSES)
            .mapToObj(i -> new JsonObject().put("challenge", challenge).put("code", wrongCode))
            .toList();
    assertCountedUpToTheLimit(
        whileQueued(user, "/api/v1/auth/second-factor", guesses), "invalid_second_factor");
    assertLocked(password(user));
  }

  @Test
  void wrongRecoveryCodesSentAtOnceStopAtTheLock() throws Exception {
    TestUser user = server.user(practice);
    enrol(user);
    String challenge = challenge(user);
    List<JsonObject> guesses =
        IntStream.range(0, GUESSES)
            .mapToObj(
                i ->
                    new JsonObject()
                        .put("challenge", challenge)
                        .put("recoveryCode", "aaaaa-bbbbb-ccccc-ddddd-eeeee-" + (10_000 + i)))
            .toList();
    assertCountedUpToTheLimit(
        whileQueued(user, "/api/v1/auth/second-factor", guesses), "invalid_second_factor");
    assertLocked(password(user));
  }

  @Test
  void anAddressWithoutAccountStopsAtTheLockToo() {
    TestUser ghost = new TestUser("ghost-at-once@nowhere.test", "no password", null);
    List<JsonObject> guesses =
        IntStream.range(0, GUESSES).mapToObj(i -> passwordBody(ghost, "wrong " + i)).toList();
    assertCountedUpToTheLimit(
        Burst.all(Burst.post(server, "/api/v1/auth/login", guesses)), "invalid_credentials");
  }
}
