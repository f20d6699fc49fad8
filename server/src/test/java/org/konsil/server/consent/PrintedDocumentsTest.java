package org.konsil.server.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import java.util.UUID;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;

/** The consent form to sign, and the owner's export of a room's unmasked history. */
class PrintedDocumentsTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static TestOrg practice;
  static TestOrg careHome;
  static TestOrg outsider;
  static Session anna;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    careHome = server.organisation("care_home");
    outsider = server.organisation("therapy");
    anna = server.login(practice.admin());
  }

  static String text(Api.Response pdf) throws Exception {
    assertEquals(200, pdf.status(), pdf.body());
    assertEquals("application/pdf", pdf.contentType());
    try (PDDocument document = Loader.loadPDF(pdf.bytes().getBytes())) {
      return new PDFTextStripper().getText(document);
    }
  }

  @Test
  void consentTemplateIsFilledInGermanOrEnglish() throws Exception {
    UUID patient = server.patient(anna, "Größe");
    String path =
        "/api/v1/patients/" + patient + "/consent-template?organisations=" + careHome.id();
    String german = text(server.api().get(path, anna.accessToken()));
    assertTrue(german.contains("Erika Größe"), german);
    assertTrue(german.contains("07.03.1941"));
    assertTrue(german.contains(practice.name()));
    assertTrue(german.contains(careHome.name()));
    assertTrue(german.contains("Unterschrift"));
    assertTrue(
        server.count(
                "SELECT count(*) FROM audit_events WHERE action = 'consent.template_created'"
                    + " AND object_id = '"
                    + patient
                    + "'")
            >= 1);
    assertFalse(german.contains(outsider.name()));
    String english = text(server.api().get(path + "&lang=en", anna.accessToken()));
    assertTrue(english.contains("Signature of the patient"));
    assertTrue(english.contains("1941-03-07"));

    assertEquals(
        404, server.api().get(path, server.login(outsider.admin()).accessToken()).status());
    assertEquals(
        "validation_failed", server.api().get(path + "&lang=fr", anna.accessToken()).code());
    assertEquals(
        "organisation_not_active",
        server
            .api()
            .get(
                "/api/v1/patients/"
                    + patient
                    + "/consent-template?organisations="
                    + UUID.randomUUID(),
                anna.accessToken())
            .code());
  }

  @Test
  void ownerAdminExportsTheUnmaskedHistoryAndTheExportIsAudited() throws Exception {
    UUID patient = server.patient(anna, "Export");
    server.uploadConsent(anna, patient, Documents.pdf(), "application/pdf", careHome.id());
    UUID room =
        UUID.fromString(server.patientRoom(anna, patient, careHome.id()).json().getString("id"));
    Session tom = server.login(server.user(careHome));
    server.sendRest(anna, room, "Wundheilung gut, Verband alle zwei Tage");
    server.sendRest(tom, room, "Wird so umgesetzt");
    assertEquals(
        200,
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=2026-11-22",
                anna.accessToken(),
                null,
                null)
            .status());

    String export = text(server.api().get("/api/v1/rooms/" + room + "/export", anna.accessToken()));
    assertTrue(export.contains("Wundheilung gut"), "unmasked for the documentation: " + export);
    assertTrue(export.contains("Wird so umgesetzt"));
    assertTrue(export.contains("2026-11-22"), "the revocation notice");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'room.exported' AND object_id = '"
                + room
                + "'"));

    assertEquals(
        "admin_required",
        server
            .api()
            .get(
                "/api/v1/rooms/" + room + "/export",
                server.login(server.user(practice)).accessToken())
            .code());
    assertEquals(
        "export_not_allowed",
        server
            .api()
            .get("/api/v1/rooms/" + room + "/export", server.login(careHome.admin()).accessToken())
            .code());
    assertEquals(
        "not_a_member",
        server
            .api()
            .get("/api/v1/rooms/" + room + "/export", server.login(outsider.admin()).accessToken())
            .code());
  }
}
