package org.konsil.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.Waiting;

/**
 * No secret stays readable at rest: a sent mail or fax keeps no link or code in the outbox, and the
 * spool folders and stored files are readable by the server's user only.
 */
class SecretsAtRestTest {

  static final Pattern TOKEN = Pattern.compile("/set-password#token=([A-Za-z0-9_-]+)");
  static final Pattern CODE = Pattern.compile("[0-9A-Z]{4}(?:-[0-9A-Z]{2,4}){6}");

  // Mail and fax go to the default spool folders under the data folder.
  @RegisterExtension static KonsilServer server = new KonsilServer();

  static TestOrg practice;
  static Session admin;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    admin = server.login(practice.admin());
  }

  static long sentRow(String recipient) {
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().mailOutbox().drain());
          KonsilServer.await(server.wiring().faxOutbox().drain());
          return server.count(
                  "SELECT count(*) FROM outbox WHERE recipient = '"
                      + recipient
                      + "' AND status = 'sent'")
              == 1;
        },
        "the mail or fax to " + recipient + " went out");
    return server.count("SELECT id FROM outbox WHERE recipient = '" + recipient + "'");
  }

  static String found(Pattern pattern, String text, int group) {
    Matcher matcher = pattern.matcher(text);
    assertTrue(matcher.find(), "found in: " + text);
    return matcher.group(group);
  }

  static long rowsContaining(String secret) {
    return server.count(
        "SELECT count(*) FROM outbox WHERE strpos(payload::text, '" + secret + "') > 0");
  }

  static String permissions(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  /** Every folder and file under the folder (itself included) is 0700 or 0600. */
  static void assertPrivate(Path folder) throws IOException {
    assertEquals("rwx------", permissions(folder), folder.toString());
    try (Stream<Path> all = Files.walk(folder)) {
      for (Path path : all.toList()) {
        assertEquals(
            Files.isDirectory(path) ? "rwx------" : "rw-------",
            permissions(path),
            path.toString());
      }
    }
  }

  @Test
  void aSentSetPasswordMailLeavesNoTokenInTheOutbox() throws IOException {
    String email = "new.nurse@" + practice.admin().email().split("@")[1];
    Api.Response added =
        server
            .api()
            .post(
                "/api/v1/organisation/users",
                new JsonObject().put("email", email).put("displayName", "New Nurse"),
                admin.accessToken());
    assertEquals(201, added.status(), added.body());
    long id = sentRow(email);

    Path spooled = server.dataDir().resolve("mail").resolve("outbox-" + id + ".eml");
    String token = found(TOKEN, Files.readString(spooled), 1);
    assertEquals(0, rowsContaining(token), "the token is not in the outbox");
    assertEquals(
        0, server.count("SELECT count(*) FROM outbox WHERE id = " + id + " AND payload ? 'text'"));
    // What the status views need stays.
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM outbox WHERE id = "
                + id
                + " AND recipient = '"
                + email
                + "' AND attempts = 1 AND sent_at IS NOT NULL AND created_at IS NOT NULL"));
    // The link still works: it was taken out of the outbox, not spoilt.
    assertEquals(
        204,
        server
            .api()
            .post(
                "/api/v1/auth/set-password",
                new JsonObject().put("token", token).put("password", "a new long password"),
                null)
            .status());

    assertPrivate(server.dataDir().resolve("mail"));
    assertEquals("rw-------", permissions(spooled));
  }

  @Test
  void aSentInvitationLeavesNoCodeInTheOutboxNorInAnOpenSpool() throws IOException {
    String email = "heim@sonnenhof-west.test";
    String fax = "+494012345678";
    Api.Response room =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "Handover")
                    .put(
                        "invitations",
                        new JsonArray()
                            .add(
                                new JsonObject()
                                    .put("name", "Sonnenhof West")
                                    .put("kind", "care_home")
                                    .put("email", email)
                                    .put("fax", fax)))
                    .put("inviteNow", true),
                admin.accessToken());
    assertEquals(201, room.status(), room.body());
    long mailId = sentRow(email);
    long faxId = sentRow(fax);

    String code =
        found(
            CODE,
            Files.readString(server.dataDir().resolve("mail").resolve("outbox-" + mailId + ".eml")),
            0);
    assertEquals(0, rowsContaining(code), "the code is not in the outbox");
    assertEquals(0, rowsContaining(code.replace("-", "")), "not even without its dashes");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM outbox WHERE id IN ("
                + mailId
                + ", "
                + faxId
                + ") AND (payload ? 'text' OR payload ? 'code')"));

    Path faxes = server.dataDir().resolve("fax");
    try (Stream<Path> files = Files.list(faxes)) {
      List<String> names = files.map(path -> path.getFileName().toString()).toList();
      assertTrue(names.contains("outbox-" + faxId + "-494012345678.pdf"), names.toString());
    }
    assertPrivate(faxes);
    assertPrivate(server.dataDir().resolve("mail"));
  }

  @Test
  void storedFilesAndTheirFoldersAreReadableByTheServerUserOnly() throws IOException {
    TestOrg careHome = server.organisation("care_home");
    UUID patient = server.patient(admin, "Musterfrau");
    // a consent document arrives in memory, an attachment streamed: both ways are covered
    assertEquals(
        201,
        server
            .uploadConsent(admin, patient, Documents.pdf(), "application/pdf", careHome.id())
            .status());
    UUID room = server.room(admin, careHome.id());
    Api.Response attached =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/"
                    + room
                    + "/attachments?clientMsgId="
                    + UUID.randomUUID()
                    + "&fileName=finding.png",
                admin.accessToken(),
                "image/png",
                Documents.png());
    assertEquals(201, attached.status(), attached.body());

    Path files = server.dataDir().resolve("files");
    try (Stream<Path> stored = Files.list(files)) {
      assertTrue(
          stored.filter(Files::isRegularFile).count() >= 2,
          "the consent document and the attachment are stored");
    }
    assertPrivate(files);
  }
}
