package org.konsil.server.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.pdfbox.pdfwriter.compress.CompressParameters;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.DatabaseDump;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.FakeSmsGateway;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.Mailbox;
import org.konsil.server.testkit.Waiting;

/**
 * Secure file delivery end to end, against real SMTP (GreenMail) and a real SMS gateway on
 * loopback: each verification method from the mail's link to the download, the lockout after five
 * wrong values and the re-issue, expiry, a gateway that is down, the refusals with their codes,
 * other organisations, and what a database copy, the files folder, the mails and the SMS do not
 * hold.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeliveryTest {

  static final FakeSmsGateway gateway = new FakeSmsGateway();
  static final int SMTP_PORT = KonsilServer.freePort();
  static final Pattern LINK =
      Pattern.compile("https://konsil\\.example\\.org/download#([A-Za-z0-9_-]{43})");
  static final Pattern CODE = Pattern.compile("\\b([0-9]{6})\\b");

  /** What the documents say; none of it may be found anywhere but in the downloads. */
  static final String SECRET = "Befund-Leberwerte-7Q9X-vertraulich";

  static final String FAMILY = "Zustellbar";
  static final String BIRTH = "1948-06-30";
  static final String INSURANCE = "Q987654321";

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
          .with("KONSIL_PUBLIC_URL", "https://konsil.example.org")
          .with("KONSIL_SMS_TRANSPORT", "http")
          .with("KONSIL_SMS_HTTP_URL", gateway.url())
          .with("KONSIL_SMS_HTTP_TOKEN", FakeSmsGateway.TOKEN);

  static CareNetwork network;
  static UUID patient;
  static final List<byte[]> sent = new ArrayList<>();

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/patients",
                new JsonObject()
                    .put("familyName", FAMILY)
                    .put("givenName", "Gisela")
                    .put("birthDate", BIRTH)
                    .put("insuranceNumber", INSURANCE)
                    .put("email", "gisela@example.org")
                    .put("mobile", "0170 5550001"),
                network.anna().accessToken());
    assertEquals(201, created.status(), created.body());
    patient = UUID.fromString(created.json().getString("id"));
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  /** A fresh session: tests move the clock past access tokens' lifetime. */
  static Session anna() {
    return server.login(network.anna().user());
  }

  /** A one-page PDF that carries the secret text uncompressed, so a search of bytes finds it. */
  static Buffer document(String marker) {
    try (PDDocument pdf = new PDDocument();
        ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      pdf.addPage(new PDPage());
      pdf.getDocumentInformation().setTitle(SECRET + " " + marker);
      pdf.save(out, CompressParameters.NO_COMPRESSION);
      byte[] bytes = out.toByteArray();
      sent.add(bytes);
      return Buffer.buffer(bytes);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Api.Response send(Session session, UUID to, String query, Buffer document) {
    return server
        .api()
        .send(
            HttpMethod.POST,
            "/api/v1/patients/" + to + "/deliveries?" + query,
            session.accessToken(),
            "application/pdf",
            document);
  }

  static Api.Response open(String token) {
    return server
        .api()
        .post("/api/v1/delivery-links/open", new JsonObject().put("token", token), null);
  }

  static Api.Response download(String token, String value) {
    JsonObject body = new JsonObject().put("token", token);
    if (value != null) {
      body.put("value", value);
    }
    return server.api().post("/api/v1/delivery-links/download", body, null);
  }

  /** The link of the newest mail to the address, after there are {@code count} of them. */
  static String link(String address, int count) {
    Waiting.until(() -> Mailbox.to(mail, address).size() >= count, count + " mails to " + address);
    String text = Mailbox.text(Mailbox.to(mail, address).get(count - 1));
    Matcher m = LINK.matcher(text);
    assertTrue(m.find(), text);
    return m.group(1);
  }

  static JsonObject view(Session session, UUID delivery) {
    JsonArray all =
        server
            .api()
            .get("/api/v1/patients/" + patient + "/deliveries", session.accessToken())
            .array();
    return all.stream()
        .map(JsonObject.class::cast)
        .filter(d -> d.getString("id").equals(delivery.toString()))
        .findFirst()
        .orElseThrow();
  }

  static long deliveries() {
    return server.count("SELECT count(*) FROM deliveries");
  }

  @Test
  @Order(1)
  void birthDateFromTheRecordOpensTheDocumentOnce() {
    Session anna = anna();
    Buffer doc = document("birth");
    Api.Response created =
        send(
            anna,
            patient,
            "recipient=patient&documentKind=findings&verification=birth_date&fileName=Befund.pdf",
            doc);
    assertEquals(201, created.status(), created.body());
    JsonObject delivery = created.json();
    assertEquals("gisela@example.org", delivery.getString("email"));
    assertEquals("record", delivery.getString("valueSource"));
    assertEquals("open", delivery.getString("state"));
    Instant expires = Instant.parse(delivery.getString("expiresAt"));
    assertEquals(server.clock.instant().plus(Duration.ofDays(14)), expires, "14 days by default");

    String token = link("gisela@example.org", 1);
    JsonObject page = open(token).json();
    assertEquals("birth_date", page.getString("verification"));
    assertEquals(5, page.getInteger("attemptsLeft"));
    // the German way of writing the date is the same value
    Api.Response file = download(token, "30.06.1948");
    assertEquals(200, file.status(), file.body());
    assertArrayEquals(doc.getBytes(), file.bytes().getBytes());
    assertEquals("application/pdf", file.contentType());
    assertTrue(file.headers().get("Content-Disposition").contains("Befund.pdf"));

    Api.Response again = download(token, BIRTH);
    assertEquals(410, again.status());
    assertEquals("delivery_downloaded", again.code());
    UUID id = UUID.fromString(delivery.getString("id"));
    JsonObject seen = view(anna, id);
    assertEquals("downloaded", seen.getString("state"));
    assertNotNull(seen.getString("downloadedAt"));
    Waiting.until(() -> "sent".equals(view(anna(), id).getString("mailStatus")), "mail sent");
    assertFalse(
        Files.exists(server.dataDir().resolve("deliveries").resolve(id.toString())),
        "the sealed file is removed once downloaded");
    JsonArray trail = server.api().get("/api/v1/audit-events?limit=50", anna.accessToken()).array();
    String actions =
        trail.stream().map(e -> ((JsonObject) e).getString("action")).toList().toString();
    assertTrue(
        actions.contains("delivery.created") && actions.contains("delivery.downloaded"), actions);
  }

  @Test
  @Order(2)
  void anInsuranceNumberTypedForAThirdPartyLeavesTheRecordAlone() {
    Session anna = anna();
    UUID other = server.patient(anna, "Ohnenummer");
    Api.Response created =
        send(
            anna,
            other,
            "recipient=third_party&email=Hausarzt@Example.org&documentKind=findings"
                + "&verification=insurance_number&value=x%20123456789",
            document("insurance"));
    assertEquals(201, created.status(), created.body());
    assertEquals("typed", created.json().getString("valueSource"));
    assertEquals("hausarzt@example.org", created.json().getString("email"));
    assertNull(
        server
            .api()
            .get("/api/v1/patients/" + other, anna.accessToken())
            .json()
            .getString("insuranceNumber"),
        "the record is not changed");
    String token = link("hausarzt@example.org", 1);
    assertEquals("wrong_verification", download(token, INSURANCE).code());
    Api.Response file = download(token, "X123456789");
    assertEquals(200, file.status(), file.body());
  }

  @Test
  @Order(3)
  void anSmsCodeArrivesAfterTheGatewayCameBackAndOpensTheDocument() {
    gateway.down();
    Session anna = anna();
    Api.Response created;
    UUID id;
    try {
      created =
          send(
              anna,
              patient,
              "recipient=patient&documentKind=findings&verification=sms_code",
              document("sms"));
      assertEquals(201, created.status(), created.body());
      id = UUID.fromString(created.json().getString("id"));
      assertEquals("+491705550001", created.json().getString("smsNumber"));
      assertEquals(
          server.clock.instant().plus(Duration.ofDays(90)),
          Instant.parse(created.json().getString("expiresAt")),
          "90 days by default");
      Waiting.until(
          () ->
              server.count(
                      "SELECT count(*) FROM outbox WHERE channel = 'sms' AND attempts >= 1 AND status = 'queued' AND id = (SELECT sms_outbox_id FROM deliveries WHERE id = '"
                          + id
                          + "')")
                  == 1,
          "a failed attempt while the gateway is down");
      assertEquals("queued", view(anna, id).getString("smsStatus"), "the sender sees it waiting");
    } finally {
      gateway.up();
    }
    server.clock.advance(Duration.ofSeconds(10));
    Waiting.until(
        () -> gateway.received().stream().anyMatch(s -> s.to().equals("+491705550001")), "the SMS");
    Waiting.until(() -> "sent".equals(view(anna(), id).getString("smsStatus")), "SMS sent");
    List<FakeSmsGateway.Sms> sms =
        gateway.received().stream().filter(s -> s.to().equals("+491705550001")).toList();
    assertEquals(1, sms.size(), "nothing lost, nothing twice");
    Matcher code = CODE.matcher(sms.get(0).text());
    assertTrue(code.find(), sms.get(0).text());
    String token = link("gisela@example.org", 2);
    assertEquals("sms_code", open(token).json().getString("verification"));
    String wrong = code.group(1).equals("000000") ? "111111" : "000000";
    assertEquals("wrong_verification", download(token, wrong).code());
    Api.Response file = download(token, code.group(1));
    assertEquals(200, file.status(), file.body());
    assertEquals(
        0,
        server.count("SELECT count(*) FROM outbox WHERE channel = 'sms' AND payload ? 'text'"),
        "no code is left in the outbox");
  }

  @Test
  @Order(4)
  void fiveWrongValuesLockTheLinkTellTheSenderAndAReissueWorks() throws Exception {
    Session anna = anna();
    Api.Response created =
        send(
            anna,
            patient,
            "recipient=third_party&email=tochter@example.org&documentKind=findings&verification=birth_date",
            document("lock"));
    assertEquals(201, created.status(), created.body());
    UUID id = UUID.fromString(created.json().getString("id"));
    String token = link("tochter@example.org", 1);
    for (int left = 4; left >= 1; left--) {
      Api.Response wrong = download(token, "1948-06-" + (10 + left));
      assertEquals(403, wrong.status());
      assertEquals("wrong_verification", wrong.code());
      assertEquals(left, wrong.json().getInteger("attemptsLeft"));
    }
    Api.Response fifth = download(token, "nonsense");
    assertEquals(423, fifth.status());
    assertEquals("delivery_locked", fifth.code());
    Api.Response right = download(token, BIRTH);
    assertEquals("delivery_locked", right.code(), "the right value no longer opens it");
    assertEquals("delivery_locked", open(token).code());
    Path sealedFile = server.dataDir().resolve("deliveries").resolve(id.toString());
    assertTrue(Files.exists(sealedFile));
    KonsilServer.await(server.wiring().deliveries().sweep());
    assertFalse(
        Files.exists(sealedFile), "a locked delivery's file opens nothing any more: removed");
    JsonObject seen = view(anna, id);
    assertEquals("locked", seen.getString("state"));
    assertEquals(5, seen.getInteger("failedAttempts"));
    String notice = Mailbox.firstTextTo(mail, network.anna().user().email());
    assertTrue(notice.contains("gesperrt") && notice.contains("locked"), notice);

    Api.Response reissued =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/deliveries/" + id + "/reissue",
                anna.accessToken(),
                "application/pdf",
                document("reissue"));
    assertEquals(201, reissued.status(), reissued.body());
    assertEquals(id.toString(), reissued.json().getString("reissueOf"));
    assertEquals("withdrawn", view(anna, id).getString("state"));
    assertEquals("delivery_withdrawn", download(token, BIRTH).code());
    String fresh = link("tochter@example.org", 2);
    assertEquals(200, download(fresh, BIRTH).status());
    JsonArray trail =
        server.api().get("/api/v1/audit-events?limit=100", anna.accessToken()).array();
    List<String> actions = trail.stream().map(e -> ((JsonObject) e).getString("action")).toList();
    assertTrue(
        actions.stream().filter("delivery.verification_failed"::equals).count() >= 5,
        actions.toString());
    assertTrue(
        actions.contains("delivery.locked") && actions.contains("delivery.reissued"),
        actions.toString());
  }

  @Test
  @Order(5)
  void anExpiredLinkOpensNothingAndItsFileIsRemoved() throws Exception {
    Session anna = anna();
    Api.Response created =
        send(
            anna,
            patient,
            "recipient=third_party&email=pflege@example.org&documentKind=other&verification=birth_date",
            document("expiry"));
    assertEquals(201, created.status(), created.body());
    String token = link("pflege@example.org", 1);
    Path folder = server.dataDir().resolve("deliveries");
    Path expiring = folder.resolve(created.json().getString("id"));
    // what a send that failed after writing its file leaves, and a file that is none of ours
    Path orphan = Files.write(folder.resolve(UUID.randomUUID().toString()), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(
        orphan, java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path fresh = Files.write(folder.resolve(UUID.randomUUID().toString()), new byte[] {1});
    Path foreign = Files.write(folder.resolve("README"), new byte[] {1});
    KonsilServer.await(server.wiring().deliveries().sweep());
    assertTrue(Files.exists(expiring), "an open delivery's file stays");
    assertFalse(Files.exists(orphan), "an old file without a delivery goes");
    assertTrue(
        Files.exists(fresh) && Files.exists(foreign), "a file being sent and a foreign file stay");
    Files.delete(fresh);
    Files.delete(foreign);
    server.clock.advance(Duration.ofDays(14).plusSeconds(1));
    assertEquals(410, open(token).status());
    assertEquals("delivery_expired", open(token).code());
    assertEquals("delivery_expired", download(token, BIRTH).code());
    KonsilServer.await(server.wiring().deliveries().sweep());
    assertFalse(Files.exists(expiring), "an expired delivery's file is removed");
    assertEquals(
        "expired",
        view(anna(), UUID.fromString(created.json().getString("id"))).getString("state"));
    assertEquals("not_found", download("A".repeat(43), BIRTH).code(), "an unknown link");
  }

  @Test
  @Order(6)
  void otherOrganisationsGetNotFoundForEverything() {
    Session anna = anna();
    Api.Response created =
        send(
            anna,
            patient,
            "recipient=patient&documentKind=findings&verification=birth_date",
            document("others"));
    UUID id = UUID.fromString(created.json().getString("id"));
    long before = deliveries();
    for (Session stranger :
        List.of(server.login(network.eve().user()), server.login(network.tom().user()))) {
      assertEquals(
          404,
          server
              .api()
              .get("/api/v1/patients/" + patient + "/deliveries", stranger.accessToken())
              .status());
      Api.Response sendAsStranger =
          send(
              stranger,
              patient,
              "recipient=patient&documentKind=findings&verification=birth_date",
              Documents.pdf());
      assertEquals(404, sendAsStranger.status());
      assertEquals("not_found", sendAsStranger.code());
      Api.Response reissue =
          server
              .api()
              .send(
                  HttpMethod.POST,
                  "/api/v1/deliveries/" + id + "/reissue",
                  stranger.accessToken(),
                  "application/pdf",
                  Documents.pdf());
      assertEquals(404, reissue.status());
    }
    assertEquals(before, deliveries(), "nothing stored for the strangers");
    assertEquals("open", view(anna, id).getString("state"), "the delivery is untouched");
  }

  @Test
  @Order(7)
  void missingAddressesAndValuesAreRefusedWithClearCodesAndNothingIsStored() throws Exception {
    Session anna = anna();
    UUID bare = server.patient(anna, "Ohnekontakt");
    long before = deliveries();
    long files = filesIn(server.dataDir().resolve("deliveries"));
    Api.Response noMail =
        send(
            anna,
            bare,
            "recipient=patient&documentKind=findings&verification=birth_date",
            Documents.pdf());
    assertEquals(409, noMail.status());
    assertEquals("patient_without_email", noMail.code());
    Api.Response noMobile =
        send(
            anna,
            bare,
            "recipient=third_party&email=a@example.org&documentKind=findings&verification=sms_code",
            Documents.pdf());
    assertEquals("patient_without_mobile", noMobile.code());
    Api.Response noNumber =
        send(
            anna,
            bare,
            "recipient=third_party&email=a@example.org&documentKind=findings&verification=insurance_number",
            Documents.pdf());
    assertEquals("patient_without_insurance_number", noNumber.code());
    Api.Response badMobile =
        send(
            anna,
            bare,
            "recipient=third_party&email=a@example.org&documentKind=findings&verification=sms_code&mobile=030%20123456",
            Documents.pdf());
    assertEquals("invalid_mobile", badMobile.code());
    Api.Response badValue =
        send(
            anna,
            bare,
            "recipient=third_party&email=a@example.org&documentKind=findings&verification=birth_date&value=gestern",
            Documents.pdf());
    assertEquals("validation_failed", badValue.code());
    Api.Response notADocument =
        send(
            anna,
            bare,
            "recipient=third_party&email=a@example.org&documentKind=findings&verification=birth_date",
            Documents.executable());
    assertEquals("unsupported_file_type", notADocument.code());
    assertEquals(before, deliveries());
    assertEquals(files, filesIn(server.dataDir().resolve("deliveries")), "no file left behind");
    // a mobile number typed for this delivery works without one on the record
    Api.Response typed =
        send(
            anna,
            bare,
            "recipient=third_party&email=a@example.org&documentKind=findings&verification=sms_code&mobile=0151%2012345678",
            document("typed-mobile"));
    assertEquals(201, typed.status(), typed.body());
    assertEquals("+4915112345678", typed.json().getString("smsNumber"));
  }

  @Test
  @Order(8)
  void onlyInvoicesGoWithoutVerificationAndOnlyWhenAllowedAndConfirmed() {
    Session anna = anna();
    String none = "recipient=patient&verification=none&documentKind=";
    Api.Response findings =
        send(anna, patient, none + "findings&confirmUnverified=true", Documents.pdf());
    assertEquals(403, findings.status());
    assertEquals("verification_required", findings.code());
    Api.Response off =
        send(anna, patient, none + "invoice&confirmUnverified=true", Documents.pdf());
    assertEquals("unverified_not_allowed", off.code(), "off by default");
    JsonObject defaults =
        server.api().get("/api/v1/organisation/delivery-settings", anna.accessToken()).json();
    assertFalse(defaults.getBoolean("allowUnverifiedInvoices"));
    Session tom = server.login(network.tom().user());
    Api.Response notAdmin =
        server
            .api()
            .put(
                "/api/v1/organisation/delivery-settings",
                new JsonObject()
                    .put("verifiedLinkDays", 7)
                    .put("smsLinkDays", 30)
                    .put("allowUnverifiedInvoices", true),
                tom.accessToken());
    assertEquals("admin_required", notAdmin.code());
    Api.Response changed =
        server
            .api()
            .put(
                "/api/v1/organisation/delivery-settings",
                new JsonObject()
                    .put("verifiedLinkDays", 7)
                    .put("smsLinkDays", 30)
                    .put("allowUnverifiedInvoices", true),
                anna.accessToken());
    assertEquals(200, changed.status(), changed.body());
    Api.Response unconfirmed = send(anna, patient, none + "invoice", Documents.pdf());
    assertEquals(422, unconfirmed.status());
    assertEquals("confirmation_required", unconfirmed.code());
    Buffer invoice = document("invoice");
    int count = Mailbox.to(mail, "gisela@example.org").size();
    Api.Response confirmed = send(anna, patient, none + "invoice&confirmUnverified=true", invoice);
    assertEquals(201, confirmed.status(), confirmed.body());
    assertEquals(
        server.clock.instant().plus(Duration.ofDays(7)),
        Instant.parse(confirmed.json().getString("expiresAt")),
        "the organisation's duration");
    String token = link("gisela@example.org", count + 1);
    assertEquals("none", open(token).json().getString("verification"));
    Api.Response file = download(token, null);
    assertEquals(200, file.status(), file.body());
    assertArrayEquals(invoice.getBytes(), file.bytes().getBytes());
  }

  @Test
  @Order(9)
  void noMailNoSmsNoDatabaseRowAndNoFileHoldsTheDocumentsOrThePatient() throws Exception {
    byte[] marker = SECRET.getBytes(StandardCharsets.UTF_8);
    String hexMarker = HexFormat.of().formatHex(marker);
    String dump = DatabaseDump.of(server.database());
    assertFalse(dump.contains(SECRET), "the document text is in no table");
    assertFalse(dump.contains(hexMarker), "nor in any bytea column");
    for (byte[] document : sent) {
      String middle =
          HexFormat.of()
              .formatHex(
                  java.util.Arrays.copyOfRange(
                      document, document.length / 2, document.length / 2 + 32));
      assertFalse(dump.contains(middle), "no document's bytes are in the database");
    }
    List<Path> files;
    try (Stream<Path> all = Files.walk(server.dataDir())) {
      files = all.filter(Files::isRegularFile).toList();
    }
    assertTrue(
        files.stream().anyMatch(f -> f.startsWith(server.dataDir().resolve("deliveries"))),
        "sealed files exist");
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      assertFalse(indexOf(bytes, marker) >= 0, "the document text is in " + file);
    }
    List<String> texts = new ArrayList<>();
    for (MimeMessage message : mail.getReceivedMessages()) {
      texts.add(message.getSubject() + "\n" + Mailbox.text(message));
    }
    gateway.received().forEach(sms -> texts.add(sms.text()));
    assertTrue(texts.size() >= 10, "mails and SMS: " + texts.size());
    for (String text : texts) {
      for (String secret :
          List.of(
              FAMILY,
              "Gisela",
              BIRTH,
              "30.06.1948",
              INSURANCE,
              SECRET,
              "Befund.pdf",
              "Ohnenummer",
              "Ohnekontakt")) {
        assertFalse(text.contains(secret), secret + " in: " + text);
      }
    }
  }

  static long filesIn(Path folder) throws Exception {
    if (!Files.isDirectory(folder)) {
      return 0;
    }
    try (Stream<Path> all = Files.list(folder)) {
      return all.count();
    }
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
