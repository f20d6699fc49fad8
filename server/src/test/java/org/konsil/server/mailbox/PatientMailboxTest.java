package org.konsil.server.mailbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.mailbox.MailboxActors.Draft;
import org.konsil.server.mailbox.MailboxActors.Opened;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.DatabaseDump;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.Mailbox;
import org.konsil.server.testkit.Waiting;

/**
 * The patient mailbox through the API, with {@link MailboxCrypto} as the browsers: registration
 * from the e-mail link, messages both ways that the server stores only as ciphertext, and every way
 * in that must stay shut.
 */
class PatientMailboxTest {

  static final int SMTP_PORT = KonsilServer.freePort();
  static final Pattern LINK = Pattern.compile("/mailbox#register=([A-Za-z0-9_-]{43})");
  static final AtomicInteger PATIENTS = new AtomicInteger();

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
          .with("KONSIL_PUBLIC_URL", "https://konsil.example.org");

  static TestOrg practice;
  static TestOrg outsider;
  static TestUser bobUser;

  // Fresh sessions each time: some tests move the clock past tokens' and sessions' lifetime.
  Session anna;
  Session bob;
  Session eve;
  MailboxActors.Staff annaDesk;
  MailboxActors.Staff bobDesk;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice", "Praxis am Markt");
    outsider = server.organisation("pharmacy");
    bobUser = server.user(practice, "Bob Brandt");
    MailboxActors.Staff admin =
        new MailboxActors.Staff(server, server.login(practice.admin())).withKey();
    admin.createPracticeKey();
    Session bob = server.login(bobUser);
    new MailboxActors.Staff(server, bob).withKey();
    assertEquals(204, admin.grant(bob.userId()).status());
  }

  @BeforeEach
  void logIn() {
    anna = server.login(practice.admin());
    bob = server.login(bobUser);
    eve = server.login(outsider.admin());
    annaDesk = new MailboxActors.Staff(server, anna);
    bobDesk = new MailboxActors.Staff(server, bob);
  }

  /** A patient of the practice, invited, registered from the link in the mail. */
  MailboxActors.Patient registeredPatient(UUID patient) {
    MailboxActors.Patient browser = invitedPatient(patient);
    Api.Response registered = browser.register(linkTokenFor(browser.email));
    assertEquals(201, registered.status(), registered.body());
    return browser;
  }

  MailboxActors.Patient invitedPatient(UUID patient) {
    String email = "patient" + PATIENTS.incrementAndGet() + "@mail.example";
    Api.Response invited = annaDesk.invite(patient, email);
    assertEquals(201, invited.status(), invited.body());
    assertEquals("invited", invited.json().getString("status"));
    return new MailboxActors.Patient(server, practice.id(), email, "mein geheimes Passwort 7");
  }

  static List<MimeMessage> mailsTo(String address, int count) {
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().mailOutbox().drain());
          return Mailbox.to(mail, address).size() >= count;
        },
        "no mail to " + address);
    return Mailbox.to(mail, address);
  }

  static String linkTokenFor(String address) {
    List<MimeMessage> mails = mailsTo(address, 1);
    Matcher link = LINK.matcher(Mailbox.text(mails.get(mails.size() - 1)));
    assertTrue(link.find(), "a registration link in the mail");
    return link.group(1);
  }

  @Test
  void practiceAndPatientExchangeMessagesTheServerStoresOnlyAsCiphertext() throws Exception {
    UUID patient = server.patient(anna, "Kranich");
    MailboxActors.Patient kranich = invitedPatient(patient);
    String invitation = Mailbox.text(mailsTo(kranich.email, 1).get(0));
    assertTrue(invitation.contains("Praxis am Markt"), invitation);
    assertFalse(invitation.contains("Kranich"), "the mail names no patient: " + invitation);
    assertEquals(201, kranich.register(linkTokenFor(kranich.email)).status());

    String subject = "Befund Schilddrüse 2026-11";
    String body = "Ihr TSH-Wert ist unauffällig, 1,9 mU/l. Kontrolle in 12 Monaten.";
    byte[] finding =
        ("%PDF-1.4 Befundbericht Sonographie Schilddruese rechts 14mm Knoten")
            .getBytes(StandardCharsets.US_ASCII);
    UUID first = UUID.randomUUID();
    Api.Response sent =
        annaDesk.send(
            patient, first, new Draft(subject, body, List.of("befund.pdf"), List.of(finding)));
    assertEquals(201, sent.status(), sent.body());
    assertEquals(
        List.of(finding.length + 28), sent.json().getJsonArray("attachmentSizes").getList());

    // a notification without content
    List<MimeMessage> mails = mailsTo(kranich.email, 2);
    String notice = Mailbox.text(mails.get(1));
    assertTrue(notice.contains("/mailbox#practice=" + practice.id()), notice);
    assertFalse(notice.contains("Befund") || notice.contains("TSH") || notice.contains("Kranich"));

    List<Opened> inbox = kranich.read();
    assertEquals(1, inbox.size());
    Opened opened = inbox.get(0);
    assertTrue(opened.verified(), "signed by the practice");
    assertEquals(subject, opened.subject());
    assertEquals(body, opened.body());
    assertEquals(List.of("befund.pdf"), opened.attachmentNames());
    assertArrayEquals(finding, opened.attachments().get(0));
    assertNull(opened.readAt());

    Api.Response read =
        server.api().post("/api/v1/mailbox/messages/" + first + "/read", null, kranich.token);
    assertEquals(200, read.status(), read.body());
    assertNotNull(read.json().getString("readAt"));
    // the practice sees that it was read
    assertNotNull(bobDesk.read(patient).get(0).readAt());

    // the patient answers; the staff member with access reads it
    String answer = "Danke! Muss ich nüchtern zur Kontrolle kommen?";
    UUID reply = UUID.randomUUID();
    Api.Response answered = kranich.send(reply, Draft.text("Re: " + subject, answer));
    assertEquals(201, answered.status(), answered.body());
    List<Opened> practiceView = bobDesk.read(patient);
    Opened fromPatient =
        practiceView.stream().filter(m -> m.id().equals(reply)).findFirst().orElseThrow();
    assertTrue(fromPatient.verified(), "signed by the patient");
    assertEquals(answer, fromPatient.body());
    assertEquals(
        List.of(reply.toString()),
        server.api().get("/api/v1/organisation/mailbox/inbox", bob.accessToken()).array().stream()
            .map(m -> ((JsonObject) m).getString("id"))
            .filter(id -> id.equals(reply.toString()))
            .toList());
    // the patient's sent folder opens with the patient's own key
    assertTrue(
        kranich.read().stream().anyMatch(m -> m.id().equals(reply) && answer.equals(m.body())));

    // the staff member reads and files it; both are in the audit trail
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/patients/" + patient + "/mailbox/messages/" + reply + "/read",
                null,
                bob.accessToken())
            .status());
    assertEquals(
        204,
        server
            .api()
            .post(
                "/api/v1/patients/" + patient + "/mailbox/messages/" + reply + "/exports",
                new JsonObject().put("kind", "pdf"),
                bob.accessToken())
            .status());
    // filing into the patient's chat names a room about this patient that the practice is in
    Api.Response room = server.patientRoom(bob, patient);
    assertEquals(201, room.status(), room.body());
    String roomId = room.json().getString("id");
    String exports = "/api/v1/patients/" + patient + "/mailbox/messages/" + reply + "/exports";
    assertEquals(
        204,
        server
            .api()
            .post(
                exports,
                new JsonObject().put("kind", "room").put("roomId", roomId),
                bob.accessToken())
            .status());
    Api.Response otherRoom = server.patientRoom(bob, server.patient(anna, "Anderer"));
    Api.Response wrongRoom =
        server
            .api()
            .post(
                exports,
                new JsonObject()
                    .put("kind", "room")
                    .put("roomId", otherRoom.json().getString("id")),
                bob.accessToken());
    assertEquals(404, wrongRoom.status());
    assertEquals("not_found", wrongRoom.code());
    assertEquals(
        "validation_failed",
        server.api().post(exports, new JsonObject().put("kind", "room"), bob.accessToken()).code());
    for (String action :
        List.of(
            "mailbox.invited",
            "mailbox.registered",
            "mailbox.message_sent",
            "mailbox.message_read",
            "mailbox.message_exported")) {
      assertTrue(
          server.count("SELECT count(*) FROM audit_events WHERE action = '" + action + "'") > 0,
          action + " audited");
    }

    // neither the database nor the files folder holds a text, a file or a key that opens them
    String dump = DatabaseDump.of(server.database());
    for (String secret :
        List.of(subject, body, answer, "befund.pdf", "Befundbericht", "TSH-Wert")) {
      assertFalse(dump.contains(secret), "the dump holds '" + secret + "'");
      assertFalse(dump.contains(hex(secret.getBytes(StandardCharsets.UTF_8))), "hex of " + secret);
    }
    for (byte[] key :
        List.of(
            kranich.keys.xPrivate(),
            kranich.keys.edPrivate(),
            annaDesk.practiceKeys().xPrivate(),
            annaDesk.practiceKeys().edPrivate(),
            bobDesk.ownPrivate())) {
      assertFalse(dump.contains(hex(key)), "a private key in the dump");
      assertFalse(dump.contains(MailboxActors.b64(key)), "a private key in the dump");
    }
    // the database's own files (this database's tables and the write-ahead log) after a checkpoint
    List<Path> raw = databaseFiles();
    assertTrue(holds(raw, kranich.email), "the raw files show what is stored in the clear");
    for (String secret : List.of(subject, body, answer, "Befundbericht")) {
      assertFalse(holds(raw, secret), "the database files hold '" + secret + "'");
    }
    try (Stream<Path> files = Files.walk(server.dataDir())) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (file.toString().contains("postgres")) {
          continue; // the database's own files: the dump above stands for them
        }
        String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        for (String secret : List.of(subject, body, answer, "Befundbericht")) {
          assertFalse(content.contains(secret), file + " holds '" + secret + "'");
        }
      }
    }
  }

  @Test
  void patientTokensNeverReachStaffRoutesAndStaffTokensNeverPatientRoutes() throws Exception {
    UUID patient = server.patient(anna, "Reiher");
    MailboxActors.Patient reiher = registeredPatient(patient);
    Api api = server.api();
    assertEquals(401, api.get("/api/v1/me", reiher.token).status());
    assertEquals(401, api.get("/api/v1/patients/" + patient, reiher.token).status());
    assertEquals(
        401, api.get("/api/v1/patients/" + patient + "/mailbox/messages", reiher.token).status());
    Api.Response staffOnPatient = api.get("/api/v1/mailbox/me", anna.accessToken());
    assertEquals(401, staffOnPatient.status());
    assertEquals("invalid_token", staffOnPatient.code());
    assertEquals(401, api.get("/api/v1/mailbox/messages", anna.accessToken()).status());
    assertEquals(401, api.get("/api/v1/mailbox/messages", null).status());
    // a path that leaves the mailbox by dot segments is judged where it lands
    // (sent over a plain socket: HTTP clients tidy such paths away, an attacker's does not)
    assertEquals(401, rawStatus("/api/v1/mailbox/../patients/" + patient, reiher.token));
    assertEquals(401, rawStatus("/api/v1/mailbox/../me", null));
    assertEquals(401, rawStatus("/api/v1/mailbox/%2e%2e/patients/" + patient, reiher.token));
    // after logout the token is dead
    assertEquals(204, api.post("/api/v1/mailbox/logout", null, reiher.token).status());
    assertEquals(401, api.get("/api/v1/mailbox/me", reiher.token).status());
  }

  @Test
  void anotherOrganisationNeitherSeesNorReachesThePatientsMailbox() {
    UUID patient = server.patient(anna, "Storch");
    MailboxActors.Patient storch = registeredPatient(patient);
    Api api = server.api();
    String base = "/api/v1/patients/" + patient + "/mailbox";
    assertEquals("not_found", api.get(base, eve.accessToken()).code());
    assertEquals("not_found", api.get(base + "/messages", eve.accessToken()).code());
    assertEquals(
        "not_found",
        api.post(base, new JsonObject().put("email", "x@y.example"), eve.accessToken()).code());
    Api.Response list = api.get(base + "/messages", eve.accessToken());
    assertFalse(list.body().contains(storch.email));
    // nor does a patient of another practice log in here: the address is unknown there
    MailboxActors.Patient elsewhere =
        new MailboxActors.Patient(server, outsider.id(), storch.email, storch.password);
    assertEquals(401, elsewhere.login().status());
    // and the patient's prelogin salt of that practice looks like anyone's
    JsonObject salt1 = prelogin(outsider.id(), storch.email);
    JsonObject salt2 = prelogin(outsider.id(), storch.email);
    assertEquals(salt1, salt2, "stable, so that it tells nothing");
    assertEquals(PatientAccounts.MIN_ITERATIONS, salt1.getInteger("iterations"));
  }

  static JsonObject prelogin(UUID org, String email) {
    Api.Response answer =
        server
            .api()
            .post(
                "/api/v1/mailbox/prelogin",
                new JsonObject().put("organisationId", org.toString()).put("email", email),
                null);
    assertEquals(200, answer.status(), answer.body());
    return answer.json();
  }

  @Test
  void staffWithoutAccessAreRefusedAndWithdrawnAccessEndsAtOnce() {
    UUID patient = server.patient(anna, "Ibis");
    registeredPatient(patient);
    Session carl = server.login(server.user(practice, "Carl Clausen"));
    Api api = server.api();
    Api.Response refused =
        api.get("/api/v1/patients/" + patient + "/mailbox/messages", carl.accessToken());
    assertEquals(403, refused.status());
    assertEquals("mailbox_access_required", refused.code());
    assertEquals(
        "admin_required", api.get("/api/v1/organisation/mailbox/staff", carl.accessToken()).code());
    MailboxActors.Staff carlDesk = new MailboxActors.Staff(server, carl).withKey();
    assertEquals(204, annaDesk.grant(carl.userId()).status());
    assertEquals(
        201, annaDesk.send(patient, UUID.randomUUID(), Draft.text("Labor", "alles gut")).status());
    assertEquals("alles gut", carlDesk.read(patient).get(0).body());
    assertEquals(
        204,
        api.send(
                HttpMethod.DELETE,
                "/api/v1/organisation/mailbox/staff/" + carl.userId() + "/access",
                anna.accessToken(),
                null,
                null)
            .status());
    assertEquals(
        "mailbox_access_required",
        api.get("/api/v1/patients/" + patient + "/mailbox/messages", carl.accessToken()).code());
    assertNull(
        api.get("/api/v1/organisation/mailbox", carl.accessToken())
            .json()
            .getString("sealedPracticeKey"));
    // a grant for a key the member no longer has is refused
    Api.Response stale =
        api.put(
            "/api/v1/organisation/mailbox/staff/" + carl.userId() + "/access",
            new JsonObject()
                .put("x25519Public", MailboxActors.b64(new byte[32]))
                .put("sealedPracticeKey", MailboxActors.b64(new byte[124])),
            anna.accessToken());
    assertEquals("mailbox_key_changed", stale.code());
    // another organisation's user cannot be granted
    Api.Response foreign =
        api.put(
            "/api/v1/organisation/mailbox/staff/" + eve.userId() + "/access",
            new JsonObject()
                .put("x25519Public", MailboxActors.b64(new byte[32]))
                .put("sealedPracticeKey", MailboxActors.b64(new byte[124])),
            anna.accessToken());
    assertEquals("not_found", foreign.code());
  }

  @Test
  void aBlockedPracticeCannotWriteUntilThePatientLiftsTheBlock() {
    UUID patient = server.patient(anna, "Kiebitz");
    MailboxActors.Patient kiebitz = registeredPatient(patient);
    Api.Response blocked =
        server
            .api()
            .put(
                "/api/v1/mailbox/practice-blocked",
                new JsonObject().put("blocked", true),
                kiebitz.token);
    assertEquals(200, blocked.status(), blocked.body());
    assertEquals("blocked", blocked.json().getString("status"));
    Api.Response refused =
        annaDesk.send(patient, UUID.randomUUID(), Draft.text("Termin", "Bitte anrufen"));
    assertEquals(409, refused.status());
    assertEquals("mailbox_blocked", refused.code());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM mailbox_messages m JOIN mailbox_accounts a ON a.id = m.account_id WHERE a.patient_id = '"
                + patient
                + "'"));
    // the patient can still read and write
    assertEquals(201, kiebitz.send(UUID.randomUUID(), Draft.text("Frage", "Wann?")).status());
    assertEquals(
        200,
        server
            .api()
            .put(
                "/api/v1/mailbox/practice-blocked",
                new JsonObject().put("blocked", false),
                kiebitz.token)
            .status());
    assertEquals(
        201,
        annaDesk.send(patient, UUID.randomUUID(), Draft.text("Termin", "Bitte anrufen")).status());
  }

  @Test
  void aClosedMailboxEndsTheSessionForgetsThePatientsKeysAndTakesNoMessages() {
    UUID patient = server.patient(anna, "Amsel");
    MailboxActors.Patient amsel = registeredPatient(patient);
    UUID message = UUID.randomUUID();
    assertEquals(
        201, annaDesk.send(patient, message, Draft.text("Rezept", "liegt bereit")).status());
    Api api = server.api();
    Api.Response unconfirmed = api.post("/api/v1/mailbox/close", new JsonObject(), amsel.token);
    assertEquals("validation_failed", unconfirmed.code());
    assertEquals(
        204,
        api.post("/api/v1/mailbox/close", new JsonObject().put("confirm", true), amsel.token)
            .status());
    assertEquals(401, api.get("/api/v1/mailbox/me", amsel.token).status());
    assertEquals(401, amsel.login().status());
    Api.Response refused = annaDesk.send(patient, UUID.randomUUID(), Draft.text("Noch was", "x"));
    assertEquals("mailbox_closed", refused.code());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM mailbox_messages WHERE id = '"
                + message
                + "' AND key_for_patient IS NOT NULL"));
    // the practice keeps what it needs for its documentation duty
    assertEquals("liegt bereit", annaDesk.read(patient).get(0).body());
  }

  @Test
  void wrongPasswordsLockTheMailboxAndTheRightOneWorksAfterTheLock() {
    UUID patient = server.patient(anna, "Eule");
    MailboxActors.Patient eule = registeredPatient(patient);
    String right = eule.password;
    eule.password = "ein falsches Passwort";
    for (int i = 0; i < 5; i++) {
      Api.Response wrong = eule.login();
      assertEquals(401, wrong.status(), wrong.body());
      assertEquals("invalid_credentials", wrong.code());
    }
    eule.password = right;
    Api.Response locked = eule.login();
    assertEquals(429, locked.status());
    assertEquals("account_locked", locked.code());
    assertNotNull(locked.headers().get("Retry-After"));
    server.clock.advance(Duration.ofMinutes(16));
    assertEquals(200, eule.login().status());
    assertEquals(
        5,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'mailbox.login' AND outcome = 'denied' AND object_id = '"
                + eule.me().getString("id")
                + "'"));
  }

  @Test
  void registrationLinksAreSingleUseAndExpire() {
    UUID patient = server.patient(anna, "Specht");
    MailboxActors.Patient specht = invitedPatient(patient);
    String token = linkTokenFor(specht.email);
    assertEquals(201, specht.register(token).status());
    Api.Response again = specht.register(token);
    assertEquals(404, again.status());
    assertEquals("mailbox_link_invalid", again.code());
    assertEquals("mailbox_exists", annaDesk.invite(patient, specht.email).code());

    UUID late = server.patient(anna, "Zaunkönig");
    MailboxActors.Patient zaunkoenig = invitedPatient(late);
    String lateToken = linkTokenFor(zaunkoenig.email);
    server.clock.advance(Duration.ofHours(73));
    assertEquals("mailbox_link_invalid", zaunkoenig.register(lateToken).code());
    assertEquals("mailbox_link_invalid", specht.register("A".repeat(43)).code());
  }

  @Test
  void aMessageItsSenderDidNotSignIsRefusedAndNothingIsStored() {
    UUID patient = server.patient(anna, "Meise");
    MailboxActors.Patient meise = registeredPatient(patient);
    JsonObject me = meise.me();
    UUID id = UUID.randomUUID();
    // signed with a key that is not the practice's
    JsonObject forged =
        MailboxActors.encrypt(
            UUID.fromString(me.getString("id")),
            id,
            "to_patient",
            Draft.text("Rechnung", "Bitte überweisen Sie an DE00..."),
            meise.keys.xPublic(),
            annaDesk.practiceKeys().xPublic(),
            MailboxCrypto.Keys.generate().edPrivate());
    Api.Response refused =
        server
            .api()
            .post("/api/v1/patients/" + patient + "/mailbox/messages", forged, anna.accessToken());
    assertEquals(422, refused.status());
    assertEquals("mailbox_signature_invalid", refused.code());
    assertEquals(0, server.count("SELECT count(*) FROM mailbox_messages WHERE id = '" + id + "'"));
    // a patient cannot send as the practice (direction is the server's, the signature must match
    // it)
    JsonObject asPractice =
        MailboxActors.encrypt(
            UUID.fromString(me.getString("id")),
            id,
            "to_patient",
            Draft.text("x", "y"),
            meise.keys.xPublic(),
            annaDesk.practiceKeys().xPublic(),
            meise.keys.edPrivate());
    assertEquals(
        "mailbox_signature_invalid",
        server.api().post("/api/v1/mailbox/messages", asPractice, meise.token).code());
    // a retry of a stored message answers it again; another message under its id is refused
    Api.Response first = meise.send(id, Draft.text("Frage", "eins"));
    assertEquals(201, first.status(), first.body());
    assertEquals("mailbox_message_exists", meise.send(id, Draft.text("Frage", "zwei")).code());
  }

  @Test
  void theInvitationGoesToTheAddressOnThePatientRecordWhenTheFormSendsNone() {
    UUID withoutAddress = server.patient(anna, "Gimpel");
    Api.Response missing =
        server
            .api()
            .post(
                "/api/v1/patients/" + withoutAddress + "/mailbox",
                new JsonObject(),
                anna.accessToken());
    assertEquals(409, missing.status());
    assertEquals("mailbox_email_missing", missing.code());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM mailbox_accounts WHERE patient_id = '" + withoutAddress + "'"));

    UUID patient = server.patient(anna, "Stieglitz");
    String address = "stieglitz" + PATIENTS.incrementAndGet() + "@mail.example";
    assertEquals(
        200,
        server
            .api()
            .patch(
                "/api/v1/patients/" + patient,
                new JsonObject().put("email", address),
                anna.accessToken())
            .status());
    Api.Response invited =
        server
            .api()
            .post("/api/v1/patients/" + patient + "/mailbox", new JsonObject(), anna.accessToken());
    assertEquals(201, invited.status(), invited.body());
    assertEquals(address, invited.json().getString("email"));
    MailboxActors.Patient stieglitz =
        new MailboxActors.Patient(server, practice.id(), address, "ein langes Passwort 9");
    assertEquals(201, stieglitz.register(linkTokenFor(address)).status());
  }

  @Test
  void withTheRecoveryCodeAForgottenPasswordIsResetAndOldMessagesStayReadable() {
    UUID patient = server.patient(anna, "Rotkehlchen");
    MailboxActors.Patient rot = registeredPatient(patient);
    assertEquals(
        201,
        annaDesk
            .send(patient, UUID.randomUUID(), Draft.text("Impfung", "Termin am 4.12."))
            .status());
    assertNull(rot.me().getString("recoveryCreatedAt"), "no sheet yet: the page urges one");

    Api.Response[] answer = new Api.Response[1];
    rot.createRecoverySheet("nicht mein Passwort", answer);
    assertEquals(401, answer[0].status());
    assertEquals("invalid_credentials", answer[0].code());
    String code = rot.createRecoverySheet(rot.password, answer);
    assertEquals(200, answer[0].status(), answer[0].body());
    assertNotNull(answer[0].json().getString("recoveryCreatedAt"));
    String oldToken = rot.token;

    // forgotten: a wrong code is a wrong guess, the right one resets and the keys stay
    Api.Response wrong = rot.recover(MailboxCrypto.newRecoveryCode(), "ein neues Passwort 1");
    assertEquals(401, wrong.status());
    assertEquals("invalid_recovery_code", wrong.code());
    Api.Response reset =
        rot.recover(code.toLowerCase(java.util.Locale.ROOT), "ein neues Passwort 1");
    assertEquals(200, reset.status(), reset.body());
    assertEquals(
        401, server.api().get("/api/v1/mailbox/me", oldToken).status(), "old sessions end");
    List<Opened> inbox = rot.read();
    assertEquals("Termin am 4.12.", inbox.get(0).body());
    assertTrue(inbox.get(0).verified());
    // the new password logs in, the old one does not
    assertEquals(200, rot.login().status());
    rot.password = "mein geheimes Passwort 7";
    assertEquals(401, rot.login().status());
    // the code works again (the sheet stays valid: same keys)
    assertEquals(200, rot.recover(code, "noch ein neues Passwort").status());
    assertEquals(
        2,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'mailbox.password_reset'"
                + " AND object_id = '"
                + rot.me().getString("id")
                + "'"));
  }

  @Test
  void withoutTheCodeTheResetAsksForConfirmationAndOldMessagesCannotBeOpenedAnyMore() {
    UUID patient = server.patient(anna, "Zilpzalp");
    MailboxActors.Patient zilp = registeredPatient(patient);
    assertEquals(
        201,
        annaDesk
            .send(patient, UUID.randomUUID(), Draft.text("Befund", "alt und wichtig"))
            .status());
    int mailsBefore = mailsTo(zilp.email, 2).size();
    Api api = server.api();
    // the answer is the same for an address without a mailbox, and nothing is sent there
    JsonObject unknown =
        new JsonObject()
            .put("organisationId", practice.id().toString())
            .put("email", "niemand@mail.example");
    assertEquals(202, api.post("/api/v1/mailbox/password-reset", unknown, null).status());
    assertEquals(
        202,
        api.post(
                "/api/v1/mailbox/password-reset",
                new JsonObject()
                    .put("organisationId", practice.id().toString())
                    .put("email", zilp.email),
                null)
            .status());
    List<MimeMessage> mails = mailsTo(zilp.email, mailsBefore + 1);
    String text = Mailbox.text(mails.get(mails.size() - 1));
    Matcher reset = Pattern.compile("/mailbox#reset=([A-Za-z0-9_-]{43})").matcher(text);
    assertTrue(reset.find(), text);
    assertFalse(text.contains("Zilpzalp") || text.contains("Befund"), text);
    assertTrue(Mailbox.to(mail, "niemand@mail.example").isEmpty());
    String link = reset.group(1);

    // asking again at once sends no second mail
    assertEquals(
        202,
        api.post(
                "/api/v1/mailbox/password-reset",
                new JsonObject()
                    .put("organisationId", practice.id().toString())
                    .put("email", zilp.email),
                null)
            .status());
    KonsilServer.await(server.wiring().mailOutbox().drain());
    assertEquals(
        mailsBefore + 1, Mailbox.to(mail, zilp.email).size(), "one reset mail per 15 minutes");
    assertEquals(
        "validation_failed",
        zilp.resetWithoutCode(link, "ganz neues Passwort", true, false).code());
    Api.Response unconfirmed = zilp.resetWithoutCode(link, "ganz neues Passwort", false, true);
    assertEquals(409, unconfirmed.status());
    assertEquals("mailbox_loss_unconfirmed", unconfirmed.code());
    Api.Response done = zilp.resetWithoutCode(link, "ganz neues Passwort", true, true);
    assertEquals(200, done.status(), done.body());
    assertEquals(
        "mailbox_link_invalid", zilp.resetWithoutCode(link, "noch eins", true, true).code());

    // the old message is still there but no longer opens with the new keys; the practice reads it
    List<Opened> inbox = zilp.read();
    assertEquals(1, inbox.size());
    assertNull(inbox.get(0).body(), "the old message cannot be opened");
    assertEquals("alt und wichtig", bobDesk.read(patient).get(0).body());
    // new messages go to the new keys
    assertEquals(
        201, annaDesk.send(patient, UUID.randomUUID(), Draft.text("Neu", "lesbar")).status());
    assertTrue(zilp.read().stream().anyMatch(m -> "lesbar".equals(m.body())));
  }

  @Test
  void malformedKeysAndTooFewIterationsAreRefused() {
    UUID patient = server.patient(anna, "Drossel");
    MailboxActors.Patient drossel = invitedPatient(patient);
    String token = linkTokenFor(drossel.email);
    JsonObject good =
        new JsonObject()
            .put("token", token)
            .put("loginSecret", MailboxActors.b64(new byte[32]))
            .put("iterations", 600_000)
            .put("x25519Public", MailboxActors.b64(new byte[32]))
            .put("ed25519Public", MailboxActors.b64(new byte[32]))
            .put("wrappedPrivate", MailboxActors.b64(new byte[92]));
    Api api = server.api();
    assertEquals(
        "validation_failed",
        api.post("/api/v1/mailbox/registration", good.copy().put("iterations", 100_000), null)
            .code());
    assertEquals(
        "validation_failed",
        api.post(
                "/api/v1/mailbox/registration",
                good.copy().put("x25519Public", "not base64!"),
                null)
            .code());
    assertEquals(
        "validation_failed",
        api.post(
                "/api/v1/mailbox/registration",
                good.copy().put("wrappedPrivate", MailboxActors.b64(new byte[10])),
                null)
            .code());
    assertEquals(
        "validation_failed",
        api.post(
                "/api/v1/patients/" + patient + "/mailbox",
                new JsonObject().put("email", "no address"),
                anna.accessToken())
            .code());
    assertEquals(
        "invited",
        server
            .api()
            .get("/api/v1/patients/" + patient + "/mailbox", anna.accessToken())
            .json()
            .getString("status"));
    assertEquals(
        "mailbox_not_registered",
        annaDesk.send(patient, UUID.randomUUID(), Draft.text("a", "b")).code());
    assertEquals(
        "mailbox_not_found",
        server
            .api()
            .get(
                "/api/v1/patients/" + server.patient(anna, "Fink") + "/mailbox", anna.accessToken())
            .code());
  }

  /** The status of a GET sent byte for byte as written, path included. */
  static int rawStatus(String path, String token) throws java.io.IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      String request =
          "GET "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
              + "Connection: close\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      String statusLine =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      return Integer.parseInt(statusLine.split(" ")[1]);
    }
  }

  static List<Path> databaseFiles() throws Exception {
    var db = server.database();
    Path dataDirectory;
    long oid;
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        java.sql.Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
      try (java.sql.ResultSet r = s.executeQuery("SHOW data_directory")) {
        r.next();
        dataDirectory = Path.of(r.getString(1));
      }
      try (java.sql.ResultSet r =
          s.executeQuery("SELECT oid FROM pg_database WHERE datname = current_database()")) {
        r.next();
        oid = r.getLong(1);
      }
    }
    List<Path> files = new java.util.ArrayList<>();
    for (Path folder :
        List.of(
            dataDirectory.resolve("base").resolve(Long.toString(oid)),
            dataDirectory.resolve("pg_wal"))) {
      try (Stream<Path> walk = Files.walk(folder)) {
        files.addAll(walk.filter(Files::isRegularFile).toList());
      }
    }
    assertTrue(files.size() > 10, "found the database's files: " + files.size());
    return files;
  }

  /** Whether any of the files holds the text's UTF-8 bytes. */
  static boolean holds(List<Path> files, String text) {
    String needle = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    for (Path file : files) {
      try {
        if (new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(needle)) {
          return true;
        }
      } catch (java.io.IOException gone) {
        // a log segment the database recycled meanwhile
      }
    }
    return false;
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
