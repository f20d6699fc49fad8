package org.konsil.server.organisations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.accounts.Totp;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;

/**
 * An admin changes a member's role and resets a lost second factor: audited, only within the own
 * organisation, and never leaving the organisation without an active admin.
 */
class MemberAdministrationTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static TestOrg practice;
  static TestOrg careHome;
  static Session admin;
  static Session outsiderAdmin;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    careHome = server.organisation("care_home");
    admin = server.login(practice.admin());
    outsiderAdmin = server.login(careHome.admin());
  }

  static Api.Response role(Session who, UUID user, String role) {
    return server
        .api()
        .put(
            "/api/v1/organisation/users/" + user + "/role",
            new JsonObject().put("role", role),
            who.accessToken());
  }

  static Api.Response reset(Session who, UUID user) {
    return server
        .api()
        .post(
            "/api/v1/organisation/users/" + user + "/second-factor-reset", null, who.accessToken());
  }

  static long audited(String action, UUID user) {
    return server.count(
        "SELECT count(*) FROM audit_events WHERE action = '"
            + action
            + "' AND object_id = '"
            + user
            + "'");
  }

  @Test
  void anAdminMakesAMemberAdminAndBackAndItIsAudited() {
    TestUser nurse = server.user(practice, "Schwester Jana");
    Session jana = server.login(nurse);
    Api.Response promoted = role(admin, jana.userId(), "admin");
    assertEquals(200, promoted.status(), promoted.body());
    assertEquals("admin", promoted.json().getString("role"));
    assertEquals(
        200,
        server.api().get("/api/v1/organisation/users", jana.accessToken()).status(),
        "the new role applies at once");
    Api.Response demoted = role(admin, jana.userId(), "member");
    assertEquals("member", demoted.json().getString("role"));
    assertEquals(
        "admin_required",
        server.api().get("/api/v1/organisation/users", jana.accessToken()).code());
    assertEquals(2, audited("user.role_changed", jana.userId()));
  }

  @Test
  void theLastActiveAdminCannotBeDemotedNotEvenByThemselves() {
    TestOrg home = server.organisation("care_home");
    Session only = server.login(home.admin());
    Api.Response self = role(only, only.userId(), "member");
    assertEquals(409, self.status());
    assertEquals("last_admin", self.code());

    TestUser second = server.user(home, "Zweite Admin");
    Session two = server.login(second);
    assertEquals(200, role(only, two.userId(), "admin").status());
    assertEquals(200, role(only, only.userId(), "member").status(), "another admin is there now");
    Api.Response last = role(two, two.userId(), "member");
    assertEquals("last_admin", last.code());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM users WHERE organisation_id = '"
                + home.id()
                + "' AND role = 'admin'"));
  }

  @Test
  void noAdminOfAnotherOrganisationAndNoMemberChangesRoles() {
    TestUser nurse = server.user(practice, "Pfleger Ole");
    Session ole = server.login(nurse);
    Api.Response foreign = role(outsiderAdmin, ole.userId(), "admin");
    assertEquals(404, foreign.status());
    assertEquals("not_found", foreign.code());
    Api.Response byMember = role(ole, ole.userId(), "admin");
    assertEquals(403, byMember.status());
    assertEquals("admin_required", byMember.code());
    Api.Response bad = role(admin, ole.userId(), "owner");
    assertEquals(422, bad.status());
    assertEquals("validation_failed", bad.code());
    assertEquals(0, audited("user.role_changed", ole.userId()));
    assertEquals(404, reset(outsiderAdmin, ole.userId()).status());
    assertEquals("admin_required", reset(ole, ole.userId()).code());
  }

  @Test
  void aLostSecondFactorIsResetAndTheMemberLogsInWithThePasswordAgain() {
    TestUser doctor = server.user(practice, "Dr. Lena Fuchs");
    Session lena = server.login(doctor);
    Api.Response started = server.api().post("/api/v1/me/second-factor", null, lena.accessToken());
    String secret = started.json().getString("secret");
    long step = server.clock.instant().getEpochSecond() / 30;
    Api.Response confirmed =
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", Totp.codeAt(secret, step)),
                lena.accessToken());
    assertEquals(200, confirmed.status(), confirmed.body());
    JsonObject challenge = login(doctor);
    assertNotNull(challenge.getValue("challenge"), "a second step is asked: " + challenge);

    Api.Response reset = reset(admin, lena.userId());
    assertEquals(200, reset.status(), reset.body());
    assertFalse(reset.json().getBoolean("secondFactorEnabled"));
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM recovery_codes WHERE user_id = '" + lena.userId() + "'"));
    assertTrue(login(doctor).containsKey("accessToken"), "the password alone logs in again");
    assertEquals(1, audited("user.second_factor_reset", lena.userId()));

    Api.Response again = reset(admin, lena.userId());
    assertEquals(409, again.status());
    assertEquals("second_factor_not_enabled", again.code());
  }

  static JsonObject login(TestUser user) {
    Api.Response response =
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject().put("email", user.email()).put("password", user.password()),
                null);
    assertEquals(200, response.status(), response.body());
    return response.json();
  }
}
