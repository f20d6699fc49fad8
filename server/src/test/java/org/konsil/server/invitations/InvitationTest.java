package org.konsil.server.invitations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.FakeFaxProvider;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.Mailbox;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/**
 * Inviting a care home that is not on Konsil by fax or e-mail, and its registration with the code.
 */
class InvitationTest {

  static final FakeFaxProvider provider = new FakeFaxProvider();
  static final int SMTP_PORT = KonsilServer.freePort();
  static final Pattern CODE = Pattern.compile("[0-9A-Z]{4}(?:-[0-9A-Z]{2,4}){6}");

  @RegisterExtension
  @Order(1)
  static GreenMailExtension mail =
      new GreenMailExtension(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
          .withPerMethodLifecycle(false);

  @RegisterExtension
  @Order(2)
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_FAX_TRANSPORT", "http")
          .with("KONSIL_FAX_HTTP_URL", provider.url())
          .with("KONSIL_FAX_HTTP_TOKEN", FakeFaxProvider.TOKEN)
          .with("KONSIL_FAX_CALLBACK_SECRET", "callback-secret")
          .with("KONSIL_SMTP_HOST", "127.0.0.1")
          .with("KONSIL_SMTP_PORT", Integer.toString(SMTP_PORT))
          .with("KONSIL_SMTP_SECURITY", "none")
          .with("KONSIL_PUBLIC_URL", "https://konsil.example.org");

  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  /** A fresh session: tests move the clock past access tokens' lifetime. */
  static Session anna() {
    return server.login(practice.admin());
  }

  @AfterAll
  static void stopProvider() {
    provider.close();
  }

  static Api.Response roomWithInvitation(JsonObject invitee, boolean now) {
    return server
        .api()
        .post(
            "/api/v1/rooms",
            new JsonObject()
                .put("title", "Übergabe Herr K.")
                .put("invitations", new JsonArray().add(invitee))
                .put("inviteNow", now),
            anna().accessToken());
  }

  static JsonObject faxInvitee(String name, String kind, String fax) {
    return new JsonObject().put("name", name).put("kind", kind).put("fax", fax);
  }

  static JsonObject mailInvitee(String name, String kind, String email) {
    return new JsonObject().put("name", name).put("kind", kind).put("email", email);
  }

  static String codeIn(String text) {
    Matcher matcher = CODE.matcher(text);
    assertTrue(matcher.find(), "a code in: " + text);
    return matcher.group();
  }

  static Api.Response register(String code, String email) {
    return register(code, email, "a good long password");
  }

  static Api.Response register(String code, String email, String password) {
    return server
        .api()
        .post(
            "/api/v1/registrations",
            new JsonObject()
                .put("code", code)
                .put("adminEmail", email)
                .put("adminName", "Heimleitung")
                .put("password", password),
            null);
  }

  static int awaitFaxes(int count) {
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().faxOutbox().drain());
          return provider.received().size() >= count;
        },
        "no fax arrived");
    return provider.received().size();
  }

  @Test
  void careHomeInvitedByFaxRegistersWithTheCodeFromTheFaxAndAnswers() throws Exception {
    int before = provider.received().size();
    Api.Response created =
        roomWithInvitation(
            faxInvitee("Pflegeheim Sonnenhof", "care_home", "(0 40) 53 79 81-542"), false);
    assertEquals(201, created.status(), created.body());
    String room = created.json().getString("id");
    KonsilServer.await(server.wiring().faxOutbox().drain());
    assertEquals(before, provider.received().size(), "nothing goes out before the first message");

    server.sendRest(
        anna(),
        UUID.fromString(room),
        "Herr K. kommt am Freitag zu Ihnen, Medikamentenplan folgt.");
    awaitFaxes(before + 1);
    FakeFaxProvider.Fax fax = provider.received().get(before);
    assertEquals("+4940537981542", fax.to());
    assertTrue(fax.idempotencyKey().startsWith("outbox-"));
    String letter = new PDFTextStripper().getText(Loader.loadPDF(fax.pdf()));
    assertTrue(letter.contains(practice.name()));
    assertTrue(letter.contains("https://konsil.example.org/register"));
    assertFalse(letter.contains("Medikamentenplan"), "no message text in the fax");
    assertFalse(letter.contains("Herr K"), "nothing of the room in the fax");
    String code = codeIn(letter);

    // delivery status for the inviter: handed over, then delivered when polled
    JsonObject invitation =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/invitations", anna().accessToken())
            .array()
            .getJsonObject(0);
    assertEquals(
        "sending", invitation.getJsonArray("deliveries").getJsonObject(0).getString("status"));
    server.clock.advance(Duration.ofSeconds(31));
    KonsilServer.await(server.wiring().faxOutbox().drain());
    invitation =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/invitations", anna().accessToken())
            .array()
            .getJsonObject(0);
    assertEquals(
        "sent", invitation.getJsonArray("deliveries").getJsonObject(0).getString("status"));
    assertTrue(
        invitation.getJsonArray("deliveries").getJsonObject(0).getString("sentAt").endsWith("Z"));
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM outbox WHERE channel = 'fax' AND status = 'sent' AND payload ? 'code'"),
        "the code does not stay in the outbox");

    Api.Response registered = register(code.toLowerCase(), "leitung@sonnenhof.test");
    assertEquals(201, registered.status(), registered.body());
    assertEquals(room, registered.json().getString("roomId"));
    assertEquals("pending", registered.json().getString("status"));
    Session heim = registeredAdmin(registered, "leitung@sonnenhof.test");
    assertEquals(
        0,
        server.api().get("/api/v1/rooms", heim.accessToken()).array().size(),
        "nothing to read before the inviter confirmed");
    assertEquals(200, confirm(anna(), invitation.getString("id")).status());
    JsonArray rooms = server.api().get("/api/v1/rooms", heim.accessToken()).array();
    assertEquals(room, rooms.getJsonObject(0).getString("id"));
    JsonArray history =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages", heim.accessToken())
            .json()
            .getJsonArray("messages");
    assertTrue(
        history.getJsonObject(0).getString("content").contains("Freitag"), "the history is there");

    try (TestSocket annaLive = server.socket(anna())) {
      server.sendRest(heim, UUID.fromString(room), "Danke, wir sind vorbereitet.");
      assertEquals("Danke, wir sind vorbereitet.", annaLive.next("message").getString("content"));
    }
    assertEquals(
        "invitation_code_used", register(code, "zweiter@sonnenhof.test").code(), "single use");
  }

  static Session registeredAdmin(Api.Response registered, String email) {
    return server.login(
        new KonsilServer.TestUser(
            email,
            "a good long password",
            UUID.fromString(registered.json().getString("organisationId"))));
  }

  static Api.Response confirm(Session session, String invitation) {
    return server
        .api()
        .post("/api/v1/invitations/" + invitation + "/confirmation", null, session.accessToken());
  }

  static Api.Response reject(Session session, String invitation) {
    return server
        .api()
        .post("/api/v1/invitations/" + invitation + "/rejection", null, session.accessToken());
  }

  static JsonObject onlyInvitation(String room) {
    return server
        .api()
        .get("/api/v1/rooms/" + room + "/invitations", anna().accessToken())
        .array()
        .getJsonObject(0);
  }

  /** A socket of the session and its "ready" frame. */
  static TestSocket socket(Session session, JsonObject[] ready) {
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, session.accessToken())
            .json()
            .getString("ticket");
    TestSocket socket =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws?ticket=" + ticket);
    ready[0] = socket.next("ready");
    return socket;
  }

  @Test
  void aRegistrationGivesNoReadAccessUntilTheInviterConfirmsIt() throws Exception {
    TestOrg clinic = server.organisation("clinic");
    Session clinicAdmin = server.login(clinic.admin());
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "Übergabe Frau M.")
                    .put("partnerOrganisationIds", new JsonArray().add(clinic.id().toString()))
                    .put(
                        "invitations",
                        new JsonArray()
                            .add(
                                mailInvitee(
                                    "Pflegeheim Elbblick", "care_home", "heim@elbblick.test")))
                    .put("inviteNow", true),
                anna().accessToken());
    assertEquals(201, created.status(), created.body());
    assertEquals(
        2,
        created.json().getJsonArray("organisations").size(),
        "the invited organisation is not a member yet");
    UUID room = UUID.fromString(created.json().getString("id"));
    server.sendRest(anna(), room, "Frau M. braucht Insulin um 8 Uhr.");
    Api.Response attached =
        server
            .api()
            .send(
                io.vertx.core.http.HttpMethod.POST,
                "/api/v1/rooms/"
                    + room
                    + "/attachments?clientMsgId="
                    + UUID.randomUUID()
                    + "&fileName=plan.pdf",
                anna().accessToken(),
                "application/pdf",
                org.konsil.server.testkit.Documents.pdf());
    assertEquals(201, attached.status(), attached.body());
    String attachment =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages", anna().accessToken())
            .json()
            .getJsonArray("messages")
            .stream()
            .map(m -> (JsonObject) m)
            .filter(m -> m.getString("kind").equals("attachment"))
            .map(m -> new JsonObject(m.getString("content")).getString("attachmentId"))
            .findFirst()
            .orElseThrow();
    String code = codeIn(waitForMailTo("heim@elbblick.test"));
    String invitation = onlyInvitation(room.toString()).getString("id");

    Api.Response registered;
    try (TestSocket annaLive = server.socket(anna())) {
      registered = register(code, "leitung@elbblick.test");
      assertEquals(201, registered.status(), registered.body());
      assertEquals("pending", registered.json().getString("status"));
      assertEquals(
          practice.name(),
          registered.json().getJsonObject("invitingOrganisation").getString("name"));
      JsonObject pushed = annaLive.next("registration_pending");
      assertEquals(room.toString(), pushed.getString("room"));
      assertEquals(invitation, pushed.getString("invitation"));
      assertEquals("Pflegeheim Elbblick", pushed.getJsonObject("organisation").getString("name"));
      assertEquals("leitung@elbblick.test", pushed.getJsonObject("admin").getString("email"));
      assertEquals("Heimleitung", pushed.getJsonObject("admin").getString("displayName"));
    }
    Waiting.until(
        () ->
            mailsTo(practice.admin().email()).stream()
                .anyMatch(m -> bodyOf(m).contains("Elbblick")),
        "no mail to the inviter");
    String told =
        mailsTo(practice.admin().email()).stream()
            .map(InvitationTest::bodyOf)
            .filter(text -> text.contains("Elbblick"))
            .findFirst()
            .orElseThrow();
    assertFalse(told.contains("Frau M"), "no room title in the mail");
    assertFalse(told.contains("Insulin"), "no message in the mail");

    JsonObject shown = onlyInvitation(room.toString()).getJsonObject("registration");
    assertEquals("pending", shown.getString("status"));
    assertEquals("leitung@elbblick.test", shown.getJsonObject("admin").getString("email"));
    JsonObject partnersView =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/invitations", clinicAdmin.accessToken())
            .array()
            .getJsonObject(0)
            .getJsonObject("registration");
    assertEquals("pending", partnersView.getString("status"));
    assertFalse(partnersView.containsKey("admin"), "who registered is the inviter's to see");

    Session heim = registeredAdmin(registered, "leitung@elbblick.test");
    assertFalse(
        server.api().get("/api/v1/rooms", heim.accessToken()).body().contains(room.toString()));
    for (String path :
        List.of(
            "/api/v1/rooms/" + room,
            "/api/v1/rooms/" + room + "/messages",
            "/api/v1/rooms/" + room + "/invitations")) {
      assertEquals("not_a_member", server.api().get(path, heim.accessToken()).code(), path);
    }
    assertEquals(
        404, server.api().get("/api/v1/attachments/" + attachment, heim.accessToken()).status());
    Api.Response write =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("content", "Hallo?"),
                heim.accessToken());
    assertEquals("not_a_member", write.code());
    JsonObject received =
        server
            .api()
            .get("/api/v1/invitations/received", heim.accessToken())
            .array()
            .getJsonObject(0);
    assertEquals("pending", received.getString("status"));
    assertEquals(practice.name(), received.getJsonObject("invitingOrganisation").getString("name"));

    JsonObject[] ready = {null};
    try (TestSocket heimLive = socket(heim, ready)) {
      assertFalse(ready[0].getJsonArray("rooms").encode().contains(room.toString()));
      heimLive.send(
          new JsonObject()
              .put("type", "sync")
              .put("ref", "s1")
              .put("room", room.toString())
              .put("after", 0));
      JsonObject refused = heimLive.next("error");
      assertEquals("not_a_member", refused.getString("code"));
      assertEquals("s1", refused.getString("ref"));

      assertEquals(
          "not_room_owner", confirm(clinicAdmin, invitation).code(), "a partner cannot confirm");
      assertEquals("not_a_member", confirm(heim, invitation).code(), "nor can the newcomer");
      assertEquals(
          "pending",
          onlyInvitation(room.toString()).getJsonObject("registration").getString("status"));

      Api.Response confirmed = confirm(anna(), invitation);
      assertEquals(200, confirmed.status(), confirmed.body());
      assertEquals("confirmed", confirmed.json().getJsonObject("registration").getString("status"));
      JsonObject joined = heimLive.next("joined");
      assertEquals(room.toString(), joined.getJsonObject("room").getString("id"));
      heimLive.send(
          new JsonObject()
              .put("type", "sync")
              .put("ref", "s2")
              .put("room", room.toString())
              .put("after", 0));
      assertTrue(heimLive.next("message").getString("content").contains("Insulin"));
    }
    assertTrue(
        server.api().get("/api/v1/rooms", heim.accessToken()).body().contains(room.toString()));
    assertEquals(
        200, server.api().get("/api/v1/rooms/" + room + "/messages", heim.accessToken()).status());
    assertEquals(
        200, server.api().get("/api/v1/attachments/" + attachment, heim.accessToken()).status());
    assertEquals(
        "confirmed",
        server
            .api()
            .get("/api/v1/invitations/received", heim.accessToken())
            .array()
            .getJsonObject(0)
            .getString("status"));
    assertEquals("registration_not_pending", confirm(anna(), invitation).code());
    assertEquals("registration_not_pending", reject(anna(), invitation).code());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'invitation.confirmed'"
                + " AND object_id = '"
                + invitation
                + "'"));
  }

  @Test
  void aRejectedRegistrationStaysOutsideTheRoomAndTheCodeWorksOnlyOnce() {
    Api.Response created =
        roomWithInvitation(
            mailInvitee("Pflegedienst Falsch", "care_service", "info@falsch.test"), true);
    String room = created.json().getString("id");
    server.sendRest(anna(), UUID.fromString(room), "Bitte Rückruf.");
    String code = codeIn(waitForMailTo("info@falsch.test"));
    String invitation = onlyInvitation(room).getString("id");
    assertEquals(
        "registration_not_pending", confirm(anna(), invitation).code(), "nobody registered yet");
    Api.Response registered = register(code, "chef@falsch.test");
    assertEquals(201, registered.status(), registered.body());

    assertEquals(
        "invitation_code_used",
        register(code, "chef@falsch.test").code(),
        "not even by the same person");
    assertEquals("invitation_code_used", register(code, "zweite@falsch.test").code());
    assertEquals(1, server.count("SELECT count(*) FROM users WHERE email LIKE '%@falsch.test'"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM invitations WHERE id = '"
                + invitation
                + "' AND redeemed_by_user = '"
                + registered.json().getString("userId")
                + "'"),
        "the code is bound to the account that redeemed it");

    Api.Response rejected = reject(anna(), invitation);
    assertEquals(200, rejected.status(), rejected.body());
    assertEquals("rejected", rejected.json().getJsonObject("registration").getString("status"));
    Session chef = registeredAdmin(registered, "chef@falsch.test");
    assertFalse(server.api().get("/api/v1/rooms", chef.accessToken()).body().contains(room));
    assertEquals(
        "not_a_member",
        server.api().get("/api/v1/rooms/" + room + "/messages", chef.accessToken()).code());
    assertEquals(
        "rejected",
        server
            .api()
            .get("/api/v1/invitations/received", chef.accessToken())
            .array()
            .getJsonObject(0)
            .getString("status"));
    assertEquals("registration_not_pending", confirm(anna(), invitation).code());
    assertEquals(
        "not_a_member",
        server.api().get("/api/v1/rooms/" + room + "/messages", chef.accessToken()).code(),
        "still outside");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM room_members WHERE room_id = '"
                + room
                + "' AND organisation_id = '"
                + registered.json().getString("organisationId")
                + "'"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'invitation.rejected'"
                + " AND object_id = '"
                + invitation
                + "'"));
    assertEquals(
        404,
        server
            .api()
            .post("/api/v1/invitations/not-an-id/confirmation", null, anna().accessToken())
            .status());
    assertEquals(404, confirm(anna(), UUID.randomUUID().toString()).status());
  }

  @Test
  void providerOutageDelaysTheFaxButLosesAndDuplicatesNothing() throws Exception {
    int before = provider.received().size();
    provider.failNext(1);
    Api.Response created =
        roomWithInvitation(faxInvitee("Pflegedienst Nord", "care_service", "040 2222 3333"), true);
    assertEquals(201, created.status());
    KonsilServer.await(server.wiring().faxOutbox().drain());
    assertEquals(before, provider.received().size());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM outbox WHERE channel = 'fax' AND recipient = '+494022223333' AND status = 'queued' AND attempts = 1 AND last_error IS NOT NULL"));
    server.clock.advance(Duration.ofSeconds(10));
    awaitFaxes(before + 1);
    KonsilServer.await(server.wiring().faxOutbox().drain());
    assertEquals(before + 1, provider.received().size(), "sent once");
  }

  @Test
  void aRestartWhileTheProviderIsAwayLosesNothing() throws Exception {
    int before = provider.received().size();
    provider.failNext(1000);
    assertEquals(
        201,
        roomWithInvitation(faxInvitee("Kurzzeitpflege Alster", "care_home", "040 3333 4444"), true)
            .status());
    KonsilServer.await(server.wiring().faxOutbox().drain());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM outbox WHERE recipient = '+494033334444' AND status = 'queued'"));
    server.restart();
    provider.failNext(0);
    server.clock.advance(Duration.ofMinutes(5));
    awaitFaxes(before + 1);
    assertEquals("+494033334444", provider.received().get(before).to());
    assertEquals(
        1, provider.received().stream().filter(f -> f.to().equals("+494033334444")).count());
  }

  @Test
  void signedProviderCallbackRecordsTheOutcome() throws Exception {
    int before = provider.received().size();
    Api.Response created =
        roomWithInvitation(faxInvitee("Heim am See", "care_home", "040 5555 6666"), true);
    String room = created.json().getString("id");
    awaitFaxes(before + 1);
    String providerId = "fx-" + (before + 1);
    byte[] body =
        new JsonObject()
            .put("id", providerId)
            .put("status", "failed")
            .put("reason", "line busy")
            .encode()
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(
        new javax.crypto.spec.SecretKeySpec(
            "callback-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
    String signature = java.util.HexFormat.of().formatHex(mac.doFinal(body));

    Api.Response forged = callback(body, signature.replace('a', 'b').replace('1', '2'));
    assertEquals(401, forged.status());
    assertEquals("invalid_signature", forged.code());
    assertEquals(204, callback(body, signature).status());
    JsonObject delivery =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/invitations", anna().accessToken())
            .array()
            .getJsonObject(0)
            .getJsonArray("deliveries")
            .getJsonObject(0);
    assertEquals("failed", delivery.getString("status"));
    assertEquals("line busy", delivery.getString("lastError"));
    assertEquals(404, callback(body, signature).status(), "nothing waits for it any more");
  }

  static Api.Response callback(byte[] body, String signature) {
    io.vertx.ext.web.client.WebClient client =
        io.vertx.ext.web.client.WebClient.create(server.clientVertx());
    try {
      var response =
          client
              .post(server.port(), "127.0.0.1", "/api/v1/fax-callbacks")
              .putHeader("Content-Type", "application/json")
              .putHeader("X-Konsil-Signature", signature)
              .sendBuffer(io.vertx.core.buffer.Buffer.buffer(body))
              .await(10, java.util.concurrent.TimeUnit.SECONDS);
      return Api.checked(io.vertx.core.http.HttpMethod.POST, "/api/v1/fax-callbacks", response);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      client.close();
    }
  }

  @Test
  void invitationByEmailCarriesTheCodeAndNoPatientData() throws Exception {
    Api.Response created =
        roomWithInvitation(
            mailInvitee("Physiotherapie West", "therapy", "praxis@physio-west.test"), true);
    assertEquals(201, created.status());
    Waiting.until(() -> !mailsTo("praxis@physio-west.test").isEmpty(), "no invitation mail");
    MimeMessage message = mailsTo("praxis@physio-west.test").get(0);
    assertTrue(message.getContentType().startsWith("multipart/alternative"), "text and HTML");
    String body = bodyOf(message);
    assertTrue(body.contains(practice.name()));
    assertTrue(body.contains("<a href="), "the HTML part links to Konsil");
    assertFalse(body.contains("Herr K."), "the room's title is not in the mail");
    String code = codeIn(body);
    assertEquals("weak_password", register(code, "info@physio-west.test", "short").code());
    assertEquals("validation_failed", register(code, "not an address").code());
    assertEquals(
        "validation_failed",
        server
            .api()
            .post("/api/v1/registrations", new JsonObject().put("code", code), null)
            .code());
    assertEquals(
        0, server.count("SELECT count(*) FROM users WHERE email = 'info@physio-west.test'"));
    assertEquals(201, register(code, "info@physio-west.test").status(), "the code is still good");
  }

  @Test
  void anInvalidRegistrationBodyIsRefusedBeforeTheCodeIsLookedAt() {
    Api.Response created =
        roomWithInvitation(mailInvitee("Praxis Ost", "practice", "ost@praxis.test"), true);
    assertEquals(201, created.status());
    String code = codeIn(waitForMailTo("ost@praxis.test"));
    server.clock.advance(Duration.ofHours(1));
    // more than the limit of wrong codes per address: none of them counts as a guess
    for (int i = 0; i < 12; i++) {
      Api.Response weak =
          register("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-" + i + "1", "w" + i + "@ost.test", "short");
      assertEquals(422, weak.status());
      assertEquals("weak_password", weak.code(), "not invalid_invitation_code");
    }
    assertEquals(201, register(code, "leitung@ost.test").status());
    Api.Response usedCode = register(code, "zweite@ost.test", "short");
    assertEquals("weak_password", usedCode.code(), "nothing about the used code");
    assertEquals("invitation_code_used", register(code, "zweite@ost.test").code());
  }

  @Test
  void wrongUsedAndExpiredCodesAreRefusedAndBurstsAreLimited() {
    Api.Response created =
        roomWithInvitation(mailInvitee("Apotheke Süd", "pharmacy", "sued@apotheke.test"), true);
    assertEquals(201, created.status());
    String code = codeIn(waitForMailTo("sued@apotheke.test"));
    // The clock only moves forward here: the limit counts failures in a window behind "now".
    server.clock.advance(Duration.ofHours(1));
    for (int i = 0; i < 10; i++) {
      Api.Response wrong =
          register("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-" + i + "0", "x" + i + "@y.test");
      assertEquals(410, wrong.status());
      assertEquals("invalid_invitation_code", wrong.code());
    }
    Api.Response limited = register("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-99", "z@y.test");
    assertEquals(429, limited.status());
    assertEquals("rate_limited", limited.code());
    assertTrue(limited.headers().get("Retry-After") != null);
    server.clock.advance(Duration.ofDays(14));
    assertEquals(
        "invalid_invitation_code",
        register(code, "sued@apotheke.test").code(),
        "expired after 14 days");
    assertEquals(0, server.count("SELECT count(*) FROM users WHERE email = 'sued@apotheke.test'"));
  }

  @Test
  void badInviteesAreRefusedAndNothingIsStored() {
    long rooms = server.count("SELECT count(*) FROM rooms");
    assertEquals(
        "invalid_fax_number",
        roomWithInvitation(faxInvitee("X", "care_home", "fax me"), false).code());
    assertEquals(
        "not_a_fax_number",
        roomWithInvitation(faxInvitee("X", "care_home", "0171 1234567"), false).code());
    assertEquals(
        "validation_failed",
        roomWithInvitation(new JsonObject().put("name", "X").put("kind", "care_home"), false)
            .code());
    assertEquals(
        "validation_failed",
        roomWithInvitation(faxInvitee("X", "castle", "040 1234567"), false).code());
    Api.Response patientRoom =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("kind", "patient")
                    .put("patientId", UUID.randomUUID().toString())
                    .put("title", "X")
                    .put(
                        "invitations",
                        new JsonArray().add(faxInvitee("X", "care_home", "040 1234567"))),
                anna().accessToken());
    assertEquals(
        "validation_failed", patientRoom.code(), "patient rooms need consent, not invitations");
    assertEquals(rooms, server.count("SELECT count(*) FROM rooms"));
    assertEquals(0, server.count("SELECT count(*) FROM organisations WHERE name = 'X'"));
  }

  @Test
  void aKnownFaxNumberOrAddressIsOfferedInsteadOfASecondOrganisation() {
    JsonObject invitee = faxInvitee("Tagespflege Mitte", "care_service", "040 7777 8888");
    assertEquals(201, roomWithInvitation(invitee, false).status());
    JsonArray found =
        server.api().get("/api/v1/organisations?fax=040%2F77778888", anna().accessToken()).array();
    assertEquals(1, found.size());
    assertEquals("Tagespflege Mitte", found.getJsonObject(0).getString("name"));
    assertEquals("invited", found.getJsonObject(0).getString("status"));
    Api.Response again =
        roomWithInvitation(invitee.copy().put("name", "Tagespflege Mitte GmbH"), false);
    assertEquals(409, again.status());
    assertEquals("organisation_exists", again.code());
    assertTrue(again.json().getString("detail").contains(found.getJsonObject(0).getString("id")));
    assertEquals(
        "invalid_fax_number",
        server.api().get("/api/v1/organisations?fax=abc", anna().accessToken()).code());
  }

  @Test
  void resendMakesANewCodeAndOnlyTheInviterMayResend() throws Exception {
    Api.Response created =
        roomWithInvitation(mailInvitee("Hospiz Ost", "care_service", "ost@hospiz.test"), true);
    String room = created.json().getString("id");
    String first = codeIn(waitForMailTo("ost@hospiz.test"));
    String invitation =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/invitations", anna().accessToken())
            .array()
            .getJsonObject(0)
            .getString("id");
    Session stranger = server.login(server.organisation("clinic").admin());
    Api.Response foreignList =
        server.api().get("/api/v1/rooms/" + room + "/invitations", stranger.accessToken());
    assertEquals(403, foreignList.status());
    assertEquals("not_a_member", foreignList.code());
    assertEquals(
        404,
        server
            .api()
            .post("/api/v1/invitations/" + invitation + "/resend", null, stranger.accessToken())
            .status());
    assertEquals(
        202,
        server
            .api()
            .post("/api/v1/invitations/" + invitation + "/resend", null, anna().accessToken())
            .status());
    Waiting.until(() -> mailsTo("ost@hospiz.test").size() == 2, "no second mail");
    String second = codeIn(bodyOf(mailsTo("ost@hospiz.test").get(1)));
    assertFalse(second.equals(first), "a new code");
    assertEquals("invalid_invitation_code", register(first, "ost@hospiz.test").code());
    assertEquals(201, register(second, "ost@hospiz.test").status());
  }

  static String waitForMailTo(String address) {
    return Mailbox.firstTextTo(mail, address);
  }

  static java.util.List<MimeMessage> mailsTo(String address) {
    return Mailbox.to(mail, address);
  }

  static String bodyOf(MimeMessage message) {
    return Mailbox.text(message);
  }
}
