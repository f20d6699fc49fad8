package org.konsil.server.consent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Waiting;

/** Patients and their consent documents; patient rooms exist only while consent covers them. */
class ConsentTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  @Test
  void patientIsFoundByItsOwnOrganisationOnly() {
    UUID patient = server.patient(network.anna(), "Mustermann");
    JsonArray byName =
        server.api().get("/api/v1/patients?query=muster", network.anna().accessToken()).array();
    assertTrue(
        byName.stream().anyMatch(p -> patient.toString().equals(((JsonObject) p).getString("id"))));
    assertEquals("none", byName.getJsonObject(0).getString("consent"));
    JsonArray byBirth =
        server
            .api()
            .get("/api/v1/patients?birthDate=1941-03-07", network.anna().accessToken())
            .array();
    assertFalse(byBirth.isEmpty());
    assertEquals(
        0,
        server
            .api()
            .get("/api/v1/patients?query=muster", network.eve().accessToken())
            .array()
            .size());

    Api.Response foreign =
        server.api().get("/api/v1/patients/" + patient, network.eve().accessToken());
    assertEquals(404, foreign.status());
    assertEquals("not_found", foreign.code());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'patient.read' AND outcome = 'denied'"
                + " AND object_id = '"
                + patient
                + "' AND actor_user_id = '"
                + network.eve().userId()
                + "' AND organisation_id = '"
                + network.outsider().id()
                + "'"),
        "the refusal is audited");
    Waiting.until(
        () ->
            server.count(
                    "SELECT count(*) FROM audit_events WHERE action = 'patient.read'"
                        + " AND outcome = 'denied' AND object_id = '"
                        + patient
                        + "' AND organisation_id = '"
                        + network.practice().id()
                        + "'")
                == 1,
        "the refusal is in the patient organisation's trail too");
    assertEquals(
        200,
        server.api().get("/api/v1/patients/" + patient, network.anna().accessToken()).status());
  }

  @Test
  void badPatientInputIsRefused() {
    for (JsonObject bad :
        new JsonObject[] {
          new JsonObject().put("givenName", "A").put("birthDate", "1950-01-01"),
          new JsonObject()
              .put("familyName", "B")
              .put("givenName", "A")
              .put("birthDate", "01.01.1950"),
          new JsonObject()
              .put("familyName", "B")
              .put("givenName", "A")
              .put("birthDate", "2999-01-01"),
          new JsonObject()
              .put("familyName", "B")
              .put("givenName", "A")
              .put("birthDate", "1950-01-01")
              .put("insuranceNumber", "A 12; drop"),
        }) {
      Api.Response refused =
          server.api().post("/api/v1/patients", bad, network.anna().accessToken());
      assertEquals(422, refused.status(), bad.encode());
      assertEquals("validation_failed", refused.code());
    }
    assertEquals(
        "validation_failed",
        server.api().get("/api/v1/patients", network.anna().accessToken()).code());
  }

  @Test
  void patientRoomNeedsAnActiveConsentCoveringEveryPartner() {
    UUID patient = server.patient(network.anna(), "Schmidt");
    Api.Response noConsent = server.patientRoom(network.anna(), patient, network.careHome().id());
    assertEquals(409, noConsent.status());
    assertEquals("consent_required", noConsent.code());

    Api.Response uploaded =
        server.uploadConsent(
            network.anna(), patient, Documents.pdf(), "application/pdf", network.careHome().id());
    assertEquals(201, uploaded.status(), uploaded.body());
    assertEquals(1, uploaded.json().getInteger("version"));

    Api.Response created = server.patientRoom(network.anna(), patient, network.careHome().id());
    assertEquals(201, created.status(), created.body());
    JsonObject room = created.json();
    assertEquals("patient", room.getString("kind"));
    assertEquals(patient.toString(), room.getJsonObject("patient").getString("id"));
    assertEquals(1, room.getJsonObject("consent").getInteger("version"));
    assertTrue(
        room.getJsonObject("consent").getString("uploadedAt").endsWith("Z"), "times in UTC with Z");

    assertEquals(
        "consent_required",
        server
            .patientRoom(network.anna(), patient, network.careHome().id(), network.outsider().id())
            .code());
    String add = "/api/v1/rooms/" + room.getString("id") + "/organisations";
    Api.Response addOutsider =
        server
            .api()
            .post(
                add,
                new JsonObject().put("organisationId", network.outsider().id().toString()),
                network.anna().accessToken());
    assertEquals("consent_required", addOutsider.code());

    Api.Response narrower =
        server.uploadConsent(
            network.anna(), patient, Documents.png(), "image/png", network.outsider().id());
    assertEquals("validation_failed", narrower.code(), "a new version may not drop a partner");
    Api.Response wider =
        server.uploadConsent(
            network.anna(),
            patient,
            Documents.jpeg(),
            "image/jpeg",
            network.careHome().id(),
            network.outsider().id());
    assertEquals(201, wider.status(), wider.body());
    assertEquals(2, wider.json().getInteger("version"));
    assertEquals(
        200,
        server
            .api()
            .post(
                add,
                new JsonObject().put("organisationId", network.outsider().id().toString()),
                network.anna().accessToken())
            .status());
    assertEquals(
        409,
        server
            .api()
            .post(
                add,
                new JsonObject().put("organisationId", network.outsider().id().toString()),
                network.anna().accessToken())
            .status());
    assertTrue(
        server
            .api()
            .get("/api/v1/rooms", network.eve().accessToken())
            .body()
            .contains(room.getString("id")));

    // Only the patient's own organisation opens rooms about them.
    assertEquals(
        "not_found", server.patientRoom(network.tom(), patient, network.practice().id()).code());
  }

  @Test
  void everyMemberOpensTheConsentAndStrangersAreRefusedAndAudited() throws Exception {
    UUID patient = server.patient(network.anna(), "Weber");
    Buffer document = Documents.pdf();
    JsonObject consent =
        server
            .uploadConsent(
                network.anna(), patient, document, "application/pdf", network.careHome().id())
            .json();
    assertEquals(
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(document.getBytes())),
        consent.getJsonObject("document").getString("sha256"));
    assertEquals(
        201, server.patientRoom(network.anna(), patient, network.careHome().id()).status());

    String path = "/api/v1/consents/" + consent.getString("id") + "/document";
    Api.Response atCareHome = server.api().get(path, network.tom().accessToken());
    assertEquals(200, atCareHome.status());
    assertEquals("application/pdf", atCareHome.contentType());
    assertArrayEquals(document.getBytes(), atCareHome.bytes().getBytes());
    JsonObject current =
        server
            .api()
            .get("/api/v1/patients/" + patient + "/consent", network.tom().accessToken())
            .json();
    assertEquals(consent.getString("id"), current.getString("id"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'consent.read' AND actor_user_id = '"
                + network.tom().userId()
                + "' AND organisation_id = '"
                + network.practice().id()
                + "'"),
        "the partner's read is in the patient organisation's log");

    Api.Response stranger = server.api().get(path, network.eve().accessToken());
    assertEquals(404, stranger.status());
    assertEquals(
        404,
        server
            .api()
            .get("/api/v1/patients/" + patient + "/consent", network.eve().accessToken())
            .status());
    assertEquals(
        404,
        server
            .api()
            .get("/api/v1/consents/" + UUID.randomUUID() + "/document", network.eve().accessToken())
            .status());
    assertEquals(
        2,
        server.count(
            "SELECT count(*) FROM audit_events WHERE outcome = 'denied' AND actor_user_id = '"
                + network.eve().userId()
                + "' AND action IN ('consent.document_read') AND organisation_id = '"
                + network.outsider().id()
                + "'"),
        "both refused document reads are audited");
    Waiting.until(
        () ->
            server.count(
                    "SELECT count(*) FROM audit_events WHERE outcome = 'denied' AND actor_user_id = '"
                        + network.eve().userId()
                        + "' AND action = 'consent.document_read' AND organisation_id = '"
                        + network.practice().id()
                        + "'")
                == 1,
        "the refused read of the real document is in the patient organisation's trail too");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'consent.document_read' AND outcome = 'success'"
                + " AND actor_user_id = '"
                + network.tom().userId()
                + "'"));
  }

  @Test
  void wrongFilesAreRefusedAndNothingIsStored() throws Exception {
    UUID patient = server.patient(network.anna(), "Falsch");
    long filesBefore = server.count("SELECT count(*) FROM stored_files");
    Api.Response executable =
        server.uploadConsent(
            network.anna(),
            patient,
            Documents.executable(),
            "application/pdf",
            network.careHome().id());
    assertEquals(415, executable.status());
    assertEquals("unsupported_file_type", executable.code());
    Api.Response garbage =
        server.uploadConsent(
            network.anna(),
            patient,
            Documents.pdfHeaderOnGarbage(),
            "application/pdf",
            network.careHome().id());
    assertEquals(422, garbage.status());
    assertEquals("invalid_file", garbage.code());
    Api.Response empty =
        server.uploadConsent(
            network.anna(), patient, Buffer.buffer(), "application/pdf", network.careHome().id());
    assertEquals("validation_failed", empty.code());
    Buffer huge = Buffer.buffer(new byte[11 * 1024 * 1024]);
    huge.setBytes(0, "%PDF-1.7".getBytes(StandardCharsets.US_ASCII));
    Api.Response tooLarge =
        server.uploadConsent(
            network.anna(), patient, huge, "application/pdf", network.careHome().id());
    assertEquals(413, tooLarge.status());
    assertEquals("payload_too_large", tooLarge.code());
    Api.Response noOrganisations =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/consents",
                network.anna().accessToken(),
                "application/pdf",
                Documents.pdf());
    assertEquals("validation_failed", noOrganisations.code());
    Api.Response foreign =
        server.uploadConsent(
            network.eve(), patient, Documents.pdf(), "application/pdf", network.outsider().id());
    assertEquals(404, foreign.status());

    assertEquals(filesBefore, server.count("SELECT count(*) FROM stored_files"));
    assertEquals(
        0, server.count("SELECT count(*) FROM consents WHERE patient_id = '" + patient + "'"));
    try (var incoming = Files.list(server.dataDir().resolve("files").resolve("incoming"))) {
      assertEquals(0, incoming.count(), "no half-written file is left");
    }
  }

  static long incomingFiles() {
    try (var incoming = Files.list(server.dataDir().resolve("files").resolve("incoming"))) {
      return incoming.count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void uploadCutOffHalfWayLeavesNothing() throws Exception {
    UUID patient = server.patient(network.anna(), "Abbruch");
    long filesBefore = server.count("SELECT count(*) FROM stored_files");
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/v1/patients/"
                  + patient
                  + "/consents?organisations="
                  + network.careHome().id()
                  + " HTTP/1.1\r\n"
                  + "Host: localhost\r\nAuthorization: Bearer "
                  + network.anna().accessToken()
                  + "\r\n"
                  + "Content-Type: application/pdf\r\nContent-Length: 500000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(Documents.pdf().getBytes(0, 200));
      out.flush();
      Waiting.until(() -> incomingFiles() == 1, "the upload has begun");
    }
    Waiting.until(() -> incomingFiles() == 0, "the cut-off upload is removed");
    assertEquals(filesBefore, server.count("SELECT count(*) FROM stored_files"));
    assertNotNull(server.api().get("/health", null));
  }
}
