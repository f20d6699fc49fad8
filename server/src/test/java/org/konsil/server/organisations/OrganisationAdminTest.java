package org.konsil.server.organisations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestSocket;

/** An organisation's admin manages its users; mail goes out through the outbox over SMTP. */
class OrganisationAdminTest {

  static final int SMTP_PORT = KonsilServer.freePort();

  @RegisterExtension
  @Order(1)
  static GreenMailExtension mail =
      new GreenMailExtension(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
          .withPerMethodLifecycle(false);

  @RegisterExtension
  @Order(2)
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_SMTP_HOST", "127.0.0.1")
          .with("KONSIL_SMTP_PORT", Integer.toString(SMTP_PORT))
          .with("KONSIL_SMTP_SECURITY", "none")
          .with("KONSIL_MAIL_FROM", "Konsil <konsil@konsil.test>");

  static TestOrg practice;
  static TestOrg careHome;
  static Session practiceAdmin;
  static Session careHomeAdmin;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    careHome = server.organisation("care_home");
    practiceAdmin = server.login(practice.admin());
    careHomeAdmin = server.login(careHome.admin());
  }

  static Api.Response addUser(Session admin, JsonObject body) {
    return server.api().post("/api/v1/organisation/users", body, admin.accessToken());
  }

  static MimeMessage awaitMailTo(String address) throws Exception {
    long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline) {
      for (MimeMessage message : mail.getReceivedMessages()) {
        if (message.getAllRecipients()[0].toString().equals(address)) {
          return message;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no mail to " + address);
  }

  static String tokenIn(String mailBody) {
    // quoted-printable soft line breaks and escaped '=' signs
    String body = mailBody.replace("=\r\n", "").replace("=3D", "=");
    Matcher matcher = Pattern.compile("/set-password#token=([A-Za-z0-9_-]+)").matcher(body);
    assertTrue(matcher.find(), "the mail carries a set-password link: " + body);
    return matcher.group(1);
  }

  @Test
  void addedUserGetsASetPasswordLinkByMailAndCanThenLogIn() throws Exception {
    Api.Response added =
        addUser(
            practiceAdmin,
            new JsonObject()
                .put("email", "Nurse.Ina@Practice.test")
                .put("displayName", "Ina Nurse"));
    assertEquals(201, added.status(), added.body());
    assertEquals("pending", added.json().getString("status"));
    assertEquals("member", added.json().getString("role"));
    assertEquals("nurse.ina@practice.test", added.json().getString("email"));

    MimeMessage message = awaitMailTo("nurse.ina@practice.test");
    String body = GreenMailUtil.getBody(message);
    assertTrue(message.getSubject().contains("Konsil"));
    assertTrue(body.contains(practice.name()), "names the inviting organisation");
    String token = tokenIn(body.replace("=\r\n", "").replace("=3D", "="));
    assertEquals(
        204,
        server
            .api()
            .post(
                "/api/v1/auth/set-password",
                new JsonObject().put("token", token).put("password", "ina's long password"),
                null)
            .status());
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject()
                    .put("email", "nurse.ina@practice.test")
                    .put("password", "ina's long password"),
                null)
            .status());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM outbox WHERE recipient = 'nurse.ina@practice.test' AND status = 'sent'"));
  }

  @Test
  void mailServerOutageDelaysTheMailButLosesNothing() throws Exception {
    mail.stop();
    try {
      assertEquals(
          201,
          addUser(
                  practiceAdmin,
                  new JsonObject().put("email", "later@practice.test").put("displayName", "Later"))
              .status());
      long deadline = System.currentTimeMillis() + 15_000;
      while (server.count(
              "SELECT count(*) FROM outbox WHERE recipient = 'later@practice.test' AND attempts > 0 AND status = 'queued'")
          == 0) {
        assertTrue(System.currentTimeMillis() < deadline, "the failed attempt was recorded");
        Thread.sleep(100);
      }
      assertEquals(
          1,
          server.count(
              "SELECT count(*) FROM outbox WHERE recipient = 'later@practice.test' AND last_error IS NOT NULL"));
    } finally {
      mail.start();
    }
    server.clock.advance(Duration.ofMinutes(1));
    MimeMessage message = awaitMailTo("later@practice.test");
    assertTrue(GreenMailUtil.getBody(message).contains("set-password"));
  }

  @Test
  void newPasswordLinkLetsAUserBackInRetiresEarlierLinksAndEndsOldSessions() throws Exception {
    KonsilServer.TestUser forgetful = server.user(practice);
    Session old = server.login(forgetful);
    String path = "/api/v1/organisation/users/" + old.userId() + "/password-link";
    try (TestSocket socket = server.socket(old)) {
      assertEquals(200, server.api().post(path, null, practiceAdmin.accessToken()).status());
      String firstToken = tokensMailedTo(forgetful.email(), 1).get(0);
      assertEquals(200, server.api().post(path, null, practiceAdmin.accessToken()).status());
      List<String> tokens = tokensMailedTo(forgetful.email(), 2);
      String secondToken = tokens.get(0).equals(firstToken) ? tokens.get(1) : tokens.get(0);

      assertEquals(
          "invalid_password_token",
          setPassword(firstToken, "an older new password").code(),
          "a new link retires the earlier one");
      assertEquals(204, setPassword(secondToken, "a brand new password").status());
      assertEquals("session_ended", socket.next("error").getString("code"));
      assertEquals(4003, socket.awaitClose());
    }
    assertEquals(401, server.api().get("/api/v1/rooms", old.accessToken()).status());
    assertEquals(200, login(forgetful.email(), "a brand new password").status());
    assertEquals("not_found", server.api().post(path, null, careHomeAdmin.accessToken()).code());
  }

  static Api.Response setPassword(String token, String password) {
    return server
        .api()
        .post(
            "/api/v1/auth/set-password",
            new JsonObject().put("token", token).put("password", password),
            null);
  }

  static Api.Response login(String email, String password) {
    return server
        .api()
        .post(
            "/api/v1/auth/login",
            new JsonObject().put("email", email).put("password", password),
            null);
  }

  /** The set-password tokens in the mails to an address, once there are that many. */
  static List<String> tokensMailedTo(String address, int count) throws Exception {
    long deadline = System.currentTimeMillis() + 15_000;
    while (true) {
      List<String> tokens = new ArrayList<>();
      for (MimeMessage message : mail.getReceivedMessages()) {
        if (message.getAllRecipients()[0].toString().equals(address)) {
          tokens.add(tokenIn(GreenMailUtil.getBody(message)));
        }
      }
      if (tokens.size() >= count) {
        return tokens;
      }
      assertTrue(System.currentTimeMillis() < deadline, "no " + count + " mails to " + address);
      Thread.sleep(100);
    }
  }

  @Test
  void onlyAdminsManageUsers() {
    Session member = server.login(server.user(practice));
    Api.Response add =
        addUser(member, new JsonObject().put("email", "x@practice.test").put("displayName", "X"));
    assertEquals(403, add.status());
    assertEquals("admin_required", add.code());
    assertEquals(
        "admin_required",
        server.api().get("/api/v1/organisation/users", member.accessToken()).code());
    assertEquals(0, server.count("SELECT count(*) FROM users WHERE email = 'x@practice.test'"));
  }

  @Test
  void badUserInputIsRefusedAndNothingStored() {
    assertEquals(
        "validation_failed",
        addUser(
                practiceAdmin,
                new JsonObject().put("email", "not-an-email").put("displayName", "A"))
            .code());
    assertEquals(
        "validation_failed",
        addUser(practiceAdmin, new JsonObject().put("email", "ok@practice.test")).code());
    assertEquals(
        "validation_failed",
        addUser(
                practiceAdmin,
                new JsonObject()
                    .put("email", "ok@practice.test")
                    .put("displayName", "A")
                    .put("role", "owner"))
            .code());
    assertEquals(0, server.count("SELECT count(*) FROM users WHERE email = 'ok@practice.test'"));
    Api.Response duplicate =
        addUser(
            practiceAdmin,
            new JsonObject()
                .put("email", practice.admin().email().toUpperCase())
                .put("displayName", "Dup"));
    assertEquals(409, duplicate.status());
    assertEquals("email_taken", duplicate.code());
  }

  @Test
  void memberListShowsOnlyTheOwnOrganisation() {
    server.user(careHome);
    JsonArray members =
        server.api().get("/api/v1/organisation/users", practiceAdmin.accessToken()).array();
    assertFalse(members.isEmpty());
    for (Object item : members) {
      String email = ((JsonObject) item).getString("email");
      assertFalse(
          email.endsWith(careHome.admin().email().split("@")[1]), "no care home user: " + email);
    }
  }

  @Test
  void disabledUserIsLockedOutAtOnceAndCanBeEnabledAgain() {
    KonsilServer.TestUser nurse = server.user(practice);
    Session session = server.login(nurse);
    String id = session.userId().toString();
    Api.Response disabled =
        server
            .api()
            .post(
                "/api/v1/organisation/users/" + id + "/disable", null, practiceAdmin.accessToken());
    assertEquals(200, disabled.status());
    assertEquals("disabled", disabled.json().getString("status"));
    assertEquals(401, server.api().get("/api/v1/rooms", session.accessToken()).status());
    assertEquals(
        "invalid_refresh_token",
        server
            .api()
            .post(
                "/api/v1/auth/refresh",
                new JsonObject().put("refreshToken", session.refreshToken()),
                null)
            .code());
    Api.Response login =
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject().put("email", nurse.email()).put("password", nurse.password()),
                null);
    assertEquals(403, login.status());
    assertEquals("account_disabled", login.code());

    assertEquals(
        200,
        server
            .api()
            .post("/api/v1/organisation/users/" + id + "/enable", null, practiceAdmin.accessToken())
            .status());
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject().put("email", nurse.email()).put("password", nurse.password()),
                null)
            .status());
  }

  @Test
  void enablingADisabledUserWhoNeverSetAPasswordLeavesThemPending() {
    Api.Response added =
        addUser(
            practiceAdmin,
            new JsonObject().put("email", "never@practice.test").put("displayName", "Never"));
    String id = added.json().getString("id");
    assertEquals(
        "disabled",
        server
            .api()
            .post(
                "/api/v1/organisation/users/" + id + "/disable", null, practiceAdmin.accessToken())
            .json()
            .getString("status"));
    assertEquals(
        "pending",
        server
            .api()
            .post("/api/v1/organisation/users/" + id + "/enable", null, practiceAdmin.accessToken())
            .json()
            .getString("status"));
  }

  @Test
  void anotherOrganisationsAdminCannotTouchOurUsers() {
    Session nurse = server.login(server.user(practice));
    String path = "/api/v1/organisation/users/" + nurse.userId() + "/disable";
    Api.Response refused = server.api().post(path, null, careHomeAdmin.accessToken());
    assertEquals(404, refused.status());
    assertEquals("not_found", refused.code());
    assertEquals(
        200, server.api().get("/api/v1/rooms", nurse.accessToken()).status(), "still active");
    assertEquals(
        "not_found",
        server
            .api()
            .post(
                "/api/v1/organisation/users/not-a-uuid/disable", null, practiceAdmin.accessToken())
            .code());
  }

  @Test
  void adminCannotDisableThemselves() {
    Api.Response refused =
        server
            .api()
            .post(
                "/api/v1/organisation/users/" + practiceAdmin.userId() + "/disable",
                null,
                practiceAdmin.accessToken());
    assertEquals(409, refused.status());
    assertEquals("cannot_disable_self", refused.code());
  }

  @Test
  void directoryFindsActiveOrganisationsByNameCityAndKind() {
    JsonArray byName =
        server
            .api()
            .get(
                "/api/v1/organisations?query=" + practice.name().replace(" ", "%20"),
                careHomeAdmin.accessToken())
            .array();
    assertEquals(1, byName.size());
    JsonObject found = byName.getJsonObject(0);
    assertEquals(practice.id().toString(), found.getString("id"));
    assertEquals(null, found.getString("email"), "the directory shows no contact details");
    JsonArray careHomes =
        server
            .api()
            .get("/api/v1/organisations?kind=care_home", practiceAdmin.accessToken())
            .array();
    assertTrue(
        careHomes.stream().allMatch(o -> "care_home".equals(((JsonObject) o).getString("kind"))));
    assertTrue(
        careHomes.stream()
            .anyMatch(o -> careHome.id().toString().equals(((JsonObject) o).getString("id"))));
    assertEquals(
        "validation_failed",
        server.api().get("/api/v1/organisations?kind=castle", practiceAdmin.accessToken()).code());
    assertEquals(
        0,
        server
            .api()
            .get("/api/v1/organisations?query=%25%25nothing%25", practiceAdmin.accessToken())
            .array()
            .size());
  }

  @Test
  void ownOrganisationIsShownWithItsSettings() {
    JsonObject own = server.api().get("/api/v1/organisation", careHomeAdmin.accessToken()).json();
    assertEquals(careHome.id().toString(), own.getString("id"));
    assertEquals("active", own.getString("status"));
    assertEquals("care_home", own.getString("kind"));
  }
}
