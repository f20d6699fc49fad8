package org.konsil.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.TestSocket;

/** TOTP (RFC 6238) as a second factor: enrolment, login with a code or a recovery code. */
class SecondFactorTest {

  // The lockout tests below fail many times from one address; the per-address limit is another
  // test's subject, so it is set out of their way.
  @RegisterExtension
  static KonsilServer server =
      new KonsilServer().with("KONSIL_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000");

  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  /** Enrols the user; answers the secret and the recovery codes. */
  static JsonObject enrol(Session session) {
    Api.Response started =
        server.api().post("/api/v1/me/second-factor", null, session.accessToken());
    assertEquals(200, started.status());
    String secret = started.json().getString("secret");
    URI uri = URI.create(started.json().getString("otpauthUri"));
    assertEquals("otpauth", uri.getScheme());
    assertEquals("totp", uri.getHost());
    assertTrue(uri.getRawQuery().contains("secret=" + secret));
    Api.Response confirmed =
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", Totp.codeAt(secret, step())),
                session.accessToken());
    assertEquals(200, confirmed.status(), confirmed.body());
    JsonArray codes = confirmed.json().getJsonArray("recoveryCodes");
    assertEquals(10, codes.size());
    return new JsonObject().put("secret", secret).put("recoveryCodes", codes);
  }

  static long step() {
    return server.clock.instant().getEpochSecond() / 30;
  }

  static Api.Response password(TestUser user) {
    return server
        .api()
        .post(
            "/api/v1/auth/login",
            new JsonObject().put("email", user.email()).put("password", user.password()),
            null);
  }

  static Api.Response secondStep(String challenge, String field, String value) {
    return server
        .api()
        .post(
            "/api/v1/auth/second-factor",
            new JsonObject().put("challenge", challenge).put(field, value),
            null);
  }

  @Test
  void enrolledUserLogsInWithPasswordThenCode() {
    TestUser user = server.user(practice);
    JsonObject enrolment = enrol(server.login(user));
    String secret = enrolment.getString("secret");

    Api.Response first = password(user);
    assertEquals(200, first.status());
    assertEquals("second_factor_required", first.json().getString("status"));
    assertEquals(null, first.json().getString("accessToken"), "no tokens before the second factor");
    String challenge = first.json().getString("challenge");
    assertEquals(
        401,
        server.api().get("/api/v1/rooms", challenge).status(),
        "a challenge is no access token");

    server.clock.advance(Duration.ofSeconds(30));
    String code = Totp.codeAt(secret, step());
    Api.Response wrong = secondStep(challenge, "code", code.equals("000000") ? "111111" : "000000");
    assertEquals(401, wrong.status());
    assertEquals("invalid_second_factor", wrong.code());
    Api.Response ok = secondStep(challenge, "code", code);
    assertEquals(200, ok.status(), ok.body());
    assertEquals(
        200, server.api().get("/api/v1/rooms", ok.json().getString("accessToken")).status());

    // The same code cannot be used a second time.
    Api.Response replay = secondStep(password(user).json().getString("challenge"), "code", code);
    assertEquals("invalid_second_factor", replay.code());
  }

  @Test
  void recoveryCodeWorksOnce() {
    TestUser user = server.user(practice);
    JsonObject enrolment = enrol(server.login(user));
    String recovery = enrolment.getJsonArray("recoveryCodes").getString(3);
    Api.Response ok =
        secondStep(password(user).json().getString("challenge"), "recoveryCode", recovery);
    assertEquals(200, ok.status(), ok.body());
    Api.Response again =
        secondStep(password(user).json().getString("challenge"), "recoveryCode", recovery);
    assertEquals("invalid_second_factor", again.code());
  }

  @Test
  void expiredOrForgedChallengeIsRefused() {
    TestUser user = server.user(practice);
    JsonObject enrolment = enrol(server.login(user));
    String challenge = password(user).json().getString("challenge");
    server.clock.advance(Duration.ofMinutes(6));
    try {
      Api.Response late =
          secondStep(challenge, "code", Totp.codeAt(enrolment.getString("secret"), step()));
      assertEquals(401, late.status());
      assertEquals("invalid_challenge", late.code());
    } finally {
      server.clock.advance(Duration.ofMinutes(-6));
    }
    Session other = server.login(server.user(practice));
    assertEquals("invalid_challenge", secondStep(other.accessToken(), "code", "123456").code());
    assertEquals(
        "validation_failed",
        server
            .api()
            .post(
                "/api/v1/auth/second-factor",
                new JsonObject().put("challenge", password(user).json().getString("challenge")),
                null)
            .code());
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

  static void assertLocked(Api.Response response) {
    assertEquals(429, response.status(), response.body());
    assertEquals("account_locked", response.code());
    long retryAfter = Long.parseLong(response.headers().get("Retry-After"));
    assertTrue(retryAfter > 0 && retryAfter <= 15 * 60, "Retry-After " + retryAfter);
  }

  static String challenge(TestUser user) {
    Api.Response first = password(user);
    assertEquals(200, first.status(), first.body());
    assertEquals("second_factor_required", first.json().getString("status"));
    return first.json().getString("challenge");
  }

  @Test
  void wrongCodesAfterTheRightPasswordLockTheAccount() {
    TestUser user = server.user(practice);
    String secret = enrol(server.login(user)).getString("secret");
    String challenge = challenge(user);
    for (int i = 0; i < 5; i++) {
      assertEquals(
          "invalid_second_factor", secondStep(challenge, "code", wrongCode(secret)).code());
    }
    assertLocked(password(user));
    // Even the right code on a challenge issued before the lock waits for the lock to end.
    server.clock.advance(Duration.ofSeconds(30));
    assertLocked(secondStep(challenge, "code", Totp.codeAt(secret, step())));
  }

  @Test
  void wrongRecoveryCodesLockTheAccount() {
    TestUser user = server.user(practice);
    JsonObject enrolment = enrol(server.login(user));
    String challenge = challenge(user);
    for (int i = 0; i < 5; i++) {
      Api.Response wrong =
          secondStep(challenge, "recoveryCode", "aaaaa-bbbbb-ccccc-ddddd-eeeee-ffff" + i);
      assertEquals("invalid_second_factor", wrong.code());
    }
    String recovery = enrolment.getJsonArray("recoveryCodes").getString(0);
    assertLocked(secondStep(challenge, "recoveryCode", recovery));
    assertLocked(password(user));
  }

  @Test
  void aRightPasswordBetweenWrongCodesResetsNothing() {
    TestUser user = server.user(practice);
    String secret = enrol(server.login(user)).getString("secret");
    assertEquals(
        "invalid_credentials",
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject().put("email", user.email()).put("password", "not the password"),
                null)
            .code());
    for (int i = 0; i < 4; i++) {
      assertEquals(
          "invalid_second_factor", secondStep(challenge(user), "code", wrongCode(secret)).code());
    }
    assertLocked(password(user));
  }

  @Test
  void afterTheLockEndsACompleteLoginWorksAndResetsTheCount() {
    TestUser user = server.user(practice);
    String secret = enrol(server.login(user)).getString("secret");
    for (int i = 0; i < 5; i++) {
      secondStep(challenge(user), "code", wrongCode(secret));
    }
    assertLocked(password(user));
    server.clock.advance(Duration.ofMinutes(16));
    try {
      for (int i = 0; i < 4; i++) {
        assertEquals(
            "invalid_second_factor", secondStep(challenge(user), "code", wrongCode(secret)).code());
      }
      Session complete = loginWithCode(user, secret);
      assertEquals(200, server.api().get("/api/v1/rooms", complete.accessToken()).status());
      // The complete login cleared the four failures before it: four more do not lock.
      for (int i = 0; i < 4; i++) {
        assertEquals(
            "invalid_second_factor", secondStep(challenge(user), "code", wrongCode(secret)).code());
      }
      challenge(user);
    } finally {
      server.clock.advance(Duration.ofMinutes(-16));
    }
  }

  @Test
  void enrolmentRefusesAWrongFirstCodeAndASecondEnrolment() {
    Session session = server.login(server.user(practice));
    Api.Response confirmFirst =
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", "123456"),
                session.accessToken());
    assertEquals("second_factor_not_started", confirmFirst.code());
    String secret =
        server
            .api()
            .post("/api/v1/me/second-factor", null, session.accessToken())
            .json()
            .getString("secret");
    String wrong = Totp.codeAt(secret, step() + 5);
    Api.Response refused =
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", wrong),
                session.accessToken());
    assertEquals(422, refused.status());
    assertEquals("invalid_second_factor", refused.code());
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", Totp.codeAt(secret, step())),
                session.accessToken())
            .status());
    Session fresh = loginWithCode(session.user(), secret);
    assertEquals(
        "second_factor_already_enabled",
        server.api().post("/api/v1/me/second-factor", null, fresh.accessToken()).code());
  }

  static Session loginWithCode(TestUser user, String secret) {
    server.clock.advance(Duration.ofSeconds(30));
    JsonObject tokens =
        secondStep(
                password(user).json().getString("challenge"), "code", Totp.codeAt(secret, step()))
            .json();
    return new Session(
        java.util.UUID.fromString(tokens.getJsonObject("user").getString("id")),
        tokens.getString("accessToken"),
        tokens.getString("refreshToken"),
        user);
  }

  @Test
  void organisationThatRequiresASecondFactorLetsUnenrolledUsersOnlyEnrol() {
    TestOrg clinic = server.organisation("clinic");
    Session admin = server.login(clinic.admin());
    Api.Response settings =
        server
            .api()
            .patch(
                "/api/v1/organisation",
                new JsonObject().put("requireSecondFactor", true),
                admin.accessToken());
    assertEquals(200, settings.status());
    assertTrue(settings.json().getBoolean("requireSecondFactor"));

    Session nurse = server.login(server.user(clinic));
    Api.Response blocked = server.api().get("/api/v1/rooms", nurse.accessToken());
    assertEquals(403, blocked.status());
    assertEquals("second_factor_enrolment_required", blocked.code());
    assertEquals(200, server.api().get("/api/v1/me", nurse.accessToken()).status());
    String ticketAttempt =
        server.api().post("/api/v1/ws-tickets", null, nurse.accessToken()).code();
    assertEquals("second_factor_enrolment_required", ticketAttempt);
    try (TestSocket socket =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws")) {
      socket.send(new JsonObject().put("type", "auth").put("token", nurse.accessToken()));
      assertEquals("second_factor_enrolment_required", socket.next("error").getString("code"));
      assertEquals(4003, socket.awaitClose());
    }

    enrol(nurse);
    assertEquals(200, server.api().get("/api/v1/rooms", nurse.accessToken()).status());
  }

  @Test
  void onlyAdminsChangeTheOrganisationsSettings() {
    Session member = server.login(server.user(practice));
    Api.Response refused =
        server
            .api()
            .patch(
                "/api/v1/organisation",
                new JsonObject().put("requireSecondFactor", true),
                member.accessToken());
    assertEquals(403, refused.status());
    assertEquals("admin_required", refused.code());
    Api.Response wrongType =
        server
            .api()
            .patch(
                "/api/v1/organisation",
                new JsonObject().put("requireSecondFactor", "yes"),
                server.login(practice.admin()).accessToken());
    assertEquals("validation_failed", wrongType.code());
  }
}
