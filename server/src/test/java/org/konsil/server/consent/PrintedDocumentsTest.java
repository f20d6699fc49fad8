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
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;

/** The consent form to sign, and the owner's export of a room's unmasked history. */
class PrintedDocumentsTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
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
    UUID patient = server.patient(network.anna(), "Größe");
    String path =
        "/api/v1/patients/"
            + patient
            + "/consent-template?organisations="
            + network.careHome().id();
    String german = text(server.api().get(path, network.anna().accessToken()));
    assertTrue(german.contains("Erika Größe"), german);
    assertTrue(german.contains("07.03.1941"));
    assertTrue(german.contains(network.practice().name()));
    assertTrue(german.contains(network.careHome().name()));
    assertTrue(german.contains("Unterschrift"));
    assertTrue(
        server.count(
                "SELECT count(*) FROM audit_events WHERE action = 'consent.template_created'"
                    + " AND object_id = '"
                    + patient
                    + "'")
            >= 1);
    assertFalse(german.contains(network.outsider().name()));
    String english = text(server.api().get(path + "&lang=en", network.anna().accessToken()));
    assertTrue(english.contains("Signature of the patient"));
    assertTrue(english.contains("1941-03-07"));

    assertEquals(404, server.api().get(path, network.eve().accessToken()).status());
    assertEquals(
        "validation_failed",
        server.api().get(path + "&lang=fr", network.anna().accessToken()).code());
    assertEquals(
        "organisation_not_active",
        server
            .api()
            .get(
                "/api/v1/patients/"
                    + patient
                    + "/consent-template?organisations="
                    + UUID.randomUUID(),
                network.anna().accessToken())
            .code());
  }

  @Test
  void ownerAdminExportsTheUnmaskedHistoryAndTheExportIsAudited() throws Exception {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Export");
    UUID patient = patientRoom.patient();
    UUID room = patientRoom.room();
    server.sendRest(network.anna(), room, "Wundheilung gut, Verband alle zwei Tage");
    server.sendRest(network.tom(), room, "Wird so umgesetzt");
    assertEquals(
        200,
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=2026-11-22",
                network.anna().accessToken(),
                null,
                null)
            .status());

    String export =
        text(server.api().get("/api/v1/rooms/" + room + "/export", network.anna().accessToken()));
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
                server.login(server.user(network.practice())).accessToken())
            .code());
    assertEquals(
        "export_not_allowed",
        server
            .api()
            .get(
                "/api/v1/rooms/" + room + "/export",
                server.login(network.careHome().admin()).accessToken())
            .code());
    assertEquals(
        "not_a_member",
        server.api().get("/api/v1/rooms/" + room + "/export", network.eve().accessToken()).code());
  }
}
