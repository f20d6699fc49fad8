package org.konsil.server.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.DatabaseDump;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;

/**
 * A patient's erasure on request: refused while the consent is active or the documentation duty
 * runs; afterwards nothing in the database names the patient, and partners see the room as erased.
 */
class ErasureTest {

  private static final String NAME = "Löschmich";
  private static final String BIRTH = "1937-11-23";

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response erase(UUID patient, Session session) {
    return server
        .api()
        .post("/api/v1/patients/" + patient + "/erasure", null, session.accessToken());
  }

  @Test
  void erasureAfterTheDocumentationDutyLeavesNoTraceOfThePatient() throws Exception {
    Session anna = network.anna();
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/patients",
                new JsonObject()
                    .put("familyName", NAME)
                    .put("givenName", "Irmgard")
                    .put("birthDate", BIRTH)
                    .put("insuranceNumber", "K987654321")
                    .put("email", "irmgard.loeschmich@example.org")
                    .put("mobile", "0172 5556667"),
                anna.accessToken());
    assertEquals(201, created.status(), created.body());
    UUID patient = UUID.fromString(created.json().getString("id"));
    UUID consent =
        UUID.fromString(
            server
                .uploadConsent(
                    anna, patient, Documents.pdf(), "application/pdf", network.careHome().id())
                .json()
                .getString("id"));
    Api.Response room =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("kind", "patient")
                    .put("patientId", patient.toString())
                    .put("title", "Frau " + NAME + ", Wundversorgung")
                    .put(
                        "partnerOrganisationIds",
                        new JsonArray().add(network.careHome().id().toString())),
                anna.accessToken());
    UUID roomId = UUID.fromString(room.json().getString("id"));
    server.sendRest(anna, roomId, "Frau " + NAME + " hat seit gestern Schmerzen am Verband.");
    server.sendRest(network.tom(), roomId, "Verband gewechselt, Frau " + NAME + " geht es besser.");
    assertEquals(
        201,
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/" + roomId + "/attachments?clientMsgId=" + UUID.randomUUID(),
                network.tom().accessToken(),
                "image/png",
                Documents.png())
            .status());
    // a patient mailbox with the patient's address (keys as a browser would send them: opaque)
    String mailboxAddress = "loeschmich.privat@mail.example";
    assertEquals(
        200,
        server
            .api()
            .put(
                "/api/v1/me/mailbox-key",
                new JsonObject()
                    .put("x25519Public", base64(32))
                    .put("wrappedPrivate", base64(60))
                    .put("salt", base64(16))
                    .put("iterations", 600_000),
                anna.accessToken())
            .status());
    assertEquals(
        201,
        server
            .api()
            .post(
                "/api/v1/organisation/mailbox",
                new JsonObject()
                    .put("x25519Public", base64(32))
                    .put("ed25519Public", base64(32))
                    .put("sealedPracticeKey", base64(124)),
                anna.accessToken())
            .status());
    assertEquals(
        201,
        server
            .api()
            .post(
                "/api/v1/patients/" + patient + "/mailbox",
                new JsonObject().put("email", mailboxAddress),
                anna.accessToken())
            .status());
    // a secure delivery to a relative: its row and its mail name the addresses
    Api.Response delivery =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/"
                    + patient
                    + "/deliveries?recipient=third_party&email=sohn.loeschmich@example.org"
                    + "&documentKind=findings&verification=birth_date",
                anna.accessToken(),
                "application/pdf",
                Documents.pdf());
    assertEquals(201, delivery.status(), delivery.body());
    String before = DatabaseDump.of(server.database());
    assertTrue(before.contains("sohn.loeschmich@example.org"), "the dump shows the delivery");
    assertTrue(
        before.contains(NAME) && before.contains(BIRTH) && before.contains("+491725556667"),
        "the dump shows the patient");
    assertTrue(before.contains(mailboxAddress), "the dump shows the mailbox's address");

    assertEquals("consent_active", erase(patient, anna).code());
    Api.Response revoked =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=" + today(),
                anna.accessToken(),
                null,
                null);
    assertEquals(200, revoked.status(), revoked.body());
    Api.Response kept = erase(patient, anna);
    assertEquals(409, kept.status());
    assertEquals("retention_duty", kept.code());
    // nothing was removed by the refusals: the three sent, the revocation notice
    long messages = server.count("SELECT count(*) FROM messages WHERE room_id = '" + roomId + "'");
    assertTrue(messages >= 4, "messages: " + messages);

    // ten years and a day after the newest entry
    server.clock.advance(Duration.ofDays(3653 + 1));
    anna = server.login(network.anna().user());
    Session tom = server.login(network.tom().user());
    Session partnerAdmin = server.login(network.careHome().admin());
    assertEquals("admin_required", erase(patient, tom).code());
    Api.Response partner = erase(patient, partnerAdmin);
    assertEquals(404, partner.status());
    assertEquals("not_found", partner.code());
    Api.Response erased = erase(patient, anna);

    assertEquals(200, erased.status(), erased.body());
    assertEquals(1, erased.json().getInteger("rooms"));
    assertEquals(messages, erased.json().getLong("messages"));
    assertEquals(2, erased.json().getInteger("files"), "the consent document and the image");
    String after = DatabaseDump.of(server.database());
    assertFalse(after.contains(NAME), "the name is gone from every table");
    assertFalse(after.contains(BIRTH), "the birth date is gone from every table");
    assertFalse(after.contains("K987654321"), "the insurance number is gone");
    assertFalse(after.contains("irmgard.loeschmich"), "the e-mail address is gone");
    assertFalse(after.contains("5556667"), "the mobile number is gone");
    assertFalse(after.contains("sohn.loeschmich"), "the delivery and its mail are gone");
    assertEquals(
        0, server.count("SELECT count(*) FROM deliveries WHERE patient_id = '" + patient + "'"));
    assertFalse(after.contains(mailboxAddress), "the mailbox and its address are gone");
    assertEquals(0, server.count("SELECT count(*) FROM consents WHERE id = '" + consent + "'"));
    try (var stored = Files.list(server.dataDir().resolve("files"))) {
      assertEquals(
          0, stored.filter(Files::isRegularFile).count(), "no document is left in the file store");
    }

    // the tombstone: counts and ids, no identity
    JsonArray trail = server.api().get("/api/v1/audit-events?limit=5", anna.accessToken()).array();
    JsonObject tombstone =
        trail.stream()
            .map(JsonObject.class::cast)
            .filter(e -> "patient.erased".equals(e.getString("action")))
            .findFirst()
            .orElseThrow();
    assertFalse(tombstone.encode().contains(NAME));

    // partners (and the owner) see the room as erased, without its history
    for (Session member : List.of(tom, anna)) {
      JsonObject view = server.api().get("/api/v1/rooms/" + roomId, member.accessToken()).json();
      assertEquals("Patient – gelöscht", view.getString("title"));
      assertTrue(view.getBoolean("identityWithheld"));
      assertFalse(view.encode().contains(NAME));
      assertEquals(
          0,
          server
              .api()
              .get("/api/v1/rooms/" + roomId + "/messages", member.accessToken())
              .json()
              .getJsonArray("messages")
              .size());
    }
    assertEquals(
        "not_found", server.api().get("/api/v1/patients/" + patient, anna.accessToken()).code());
    assertEquals("not_found", erase(patient, anna).code(), "erased once");
  }

  private static String today() {
    return java.time.LocalDate.ofInstant(server.clock.instant(), java.time.ZoneOffset.UTC)
        .toString();
  }

  private static String base64(int bytes) {
    return java.util.Base64.getEncoder().encodeToString(new byte[bytes]);
  }
}
