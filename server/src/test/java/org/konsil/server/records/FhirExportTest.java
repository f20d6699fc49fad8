package org.konsil.server.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Communication;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;

/** A patient room's record exports as a FHIR R4 Bundle that the FHIR validator accepts. */
class FhirExportTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response export(UUID room, Session session) {
    return server.api().get("/api/v1/rooms/" + room + "/fhir", session.accessToken());
  }

  static Api.Response attach(UUID room, Session session, String type, Buffer file) {
    return server
        .api()
        .send(
            HttpMethod.POST,
            "/api/v1/rooms/" + room + "/attachments?clientMsgId=" + UUID.randomUUID(),
            session.accessToken(),
            type,
            file);
  }

  static byte[] sha1(Buffer bytes) throws Exception {
    return MessageDigest.getInstance("SHA-1").digest(bytes.getBytes());
  }

  static <T extends Resource> List<T> all(Bundle bundle, Class<T> type) {
    return bundle.getEntry().stream()
        .map(Bundle.BundleEntryComponent::getResource)
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  @Test
  void roomWithTextAttachmentsConsentAndRevocationExportsAValidBundle() throws Exception {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Musterfrau");
    UUID room = patientRoom.room();
    server.sendRest(network.anna(), room, "Blutdruck heute 140/90, bitte täglich messen.");
    server.sendRest(network.tom(), room, "Machen wir, Werte kommen morgen.");
    JsonObject first =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages?limit=200", network.anna().accessToken())
            .json()
            .getJsonArray("messages")
            .stream()
            .map(JsonObject.class::cast)
            .filter(m -> "text".equals(m.getString("kind")))
            .findFirst()
            .orElseThrow();
    Api.Response corrected =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("content", "Blutdruck heute 150/90, bitte täglich messen.")
                    .put("corrects", first.getString("id")),
                network.anna().accessToken());
    assertEquals(201, corrected.status(), corrected.body());
    assertEquals(201, attach(room, network.anna(), "image/png", Documents.png()).status());
    Buffer finding = Documents.pdf();
    assertEquals(201, attach(room, network.tom(), "application/pdf", finding).status());
    String today = LocalDate.ofInstant(server.clock.instant(), ZoneOffset.UTC).toString();
    Api.Response revoked =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patientRoom.patient() + "/revocation?date=" + today,
                network.anna().accessToken(),
                "image/png",
                Documents.png());
    assertEquals(200, revoked.status(), revoked.body());

    Api.Response exported = export(room, network.anna());

    assertEquals(200, exported.status(), exported.body());
    assertEquals("application/fhir+json", exported.contentType());
    assertTrue(
        exported.headers().get("Content-Disposition").contains("room-" + room + ".fhir.json"));
    List<String> errors = FhirCheck.errors(exported.body());
    assertTrue(errors.isEmpty(), String.join("\n", FhirCheck.all(exported.body())));
    // the same bundle with a Communication that lacks its required status is refused
    JsonObject broken = new JsonObject(exported.body());
    broken.getJsonArray("entry").stream()
        .map(e -> ((JsonObject) e).getJsonObject("resource"))
        .filter(r -> "Communication".equals(r.getString("resourceType")))
        .findFirst()
        .orElseThrow()
        .remove("status");
    assertTrue(
        FhirCheck.errors(broken.encode()).stream().anyMatch(e -> e.contains("status")),
        "the validator finds a missing status");

    Bundle bundle = FhirCheck.R4.newJsonParser().parseResource(Bundle.class, exported.body());
    assertEquals(Bundle.BundleType.COLLECTION, bundle.getType());
    Patient patient = all(bundle, Patient.class).get(0);
    assertEquals("Musterfrau", patient.getNameFirstRep().getFamily());
    assertEquals("1941-03-07", patient.getBirthDateElement().getValueAsString());

    List<Communication> messages = all(bundle, Communication.class);
    JsonArray history =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages?limit=200", network.anna().accessToken())
            .json()
            .getJsonArray("messages");
    assertEquals(history.size(), messages.size(), "one Communication per message");
    assertEquals(
        "Blutdruck heute 140/90, bitte täglich messen.",
        messages.stream()
            .filter(c -> c.getPayloadFirstRep().hasContentStringType())
            .findFirst()
            .orElseThrow()
            .getPayloadFirstRep()
            .getContentStringType()
            .getValue());
    Communication correction =
        messages.stream()
            .filter(c -> c.hasExtension(FhirMessages.CORRECTS))
            .findFirst()
            .orElseThrow();
    assertEquals(
        "urn:uuid:" + first.getString("id"),
        ((org.hl7.fhir.r4.model.Reference)
                correction.getExtensionByUrl(FhirMessages.CORRECTS).getValue())
            .getReference());
    assertEquals(
        "Blutdruck heute 150/90, bitte täglich messen.",
        correction.getPayloadFirstRep().getContentStringType().getValue());
    List<Attachment> files =
        messages.stream()
            .filter(c -> c.getPayloadFirstRep().hasContentAttachment())
            .map(c -> c.getPayloadFirstRep().getContentAttachment())
            .toList();
    assertEquals(2, files.size());
    assertEquals("image/png", files.get(0).getContentType());
    assertEquals(Documents.png().length(), files.get(0).getSize());
    assertTrue(Arrays.equals(sha1(Documents.png()), files.get(0).getHash()));
    assertTrue(Arrays.equals(sha1(finding), files.get(1).getHash()));
    assertTrue(files.get(0).getUrl().contains("/api/v1/attachments/"));
    Communication fromAnna = messages.get(0);
    PractitionerRole sender =
        (PractitionerRole)
            bundle.getEntry().stream()
                .filter(e -> e.getFullUrl().equals(fromAnna.getSender().getReference()))
                .findFirst()
                .orElseThrow()
                .getResource();
    assertEquals("urn:uuid:" + network.practice().id(), sender.getOrganization().getReference());

    Consent consent = all(bundle, Consent.class).get(0);
    assertEquals(Consent.ConsentState.INACTIVE, consent.getStatus());
    assertEquals(today, consent.getProvision().getPeriod().getEndElement().getValueAsString());
    assertEquals("application/pdf", consent.getSourceAttachment().getContentType());
    Buffer signed =
        server
            .api()
            .get(
                "/api/v1/consents/" + patientRoom.consent() + "/document",
                network.anna().accessToken())
            .bytes();
    assertTrue(Arrays.equals(sha1(signed), consent.getSourceAttachment().getHash()));
    assertEquals(signed.length(), consent.getSourceAttachment().getSize());
    assertEquals(
        "urn:uuid:" + network.careHome().id(),
        consent.getProvision().getActorFirstRep().getReference().getReference());
    // the signed revocation goes with the consent it ended
    Attachment revocation =
        (Attachment) consent.getExtensionByUrl(FhirConsents.REVOCATION_DOCUMENT).getValue();
    assertEquals("image/png", revocation.getContentType());
    assertTrue(Arrays.equals(sha1(Documents.png()), revocation.getHash()));
    assertTrue(
        revocation.getUrl().endsWith("/consents/" + patientRoom.consent() + "/revocation-document"),
        revocation.getUrl());

    List<AuditEvent> audit = all(bundle, AuditEvent.class);
    assertTrue(
        audit.stream().anyMatch(e -> e.getSubtypeFirstRep().getCode().equals("room.fhir_exported")),
        "the export itself is in the trail it exports");
    assertTrue(
        audit.stream().anyMatch(e -> e.getSubtypeFirstRep().getCode().equals("consent.revoked")));
    assertNotNull(bundle.getTimestamp());
  }

  @Test
  void aPatientsDataComeAsAZipWithTheBundleAndTheOriginalFiles() throws Exception {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Auskunft");
    server.sendRest(network.tom(), patientRoom.room(), "Frau Auskunft war heute gut gelaunt.");
    Buffer scan = Documents.pdf();
    assertEquals(201, attach(patientRoom.room(), network.tom(), "application/pdf", scan).status());
    String dataExport = "/api/v1/patients/" + patientRoom.patient() + "/data-export";

    Api.Response zip = server.api().get(dataExport, network.anna().accessToken());

    assertEquals(200, zip.status(), zip.body());
    assertEquals("application/zip", zip.contentType());
    java.util.Map<String, byte[]> entries = new java.util.HashMap<>();
    try (var in =
        new java.util.zip.ZipInputStream(
            new java.io.ByteArrayInputStream(zip.bytes().getBytes()))) {
      java.util.zip.ZipEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        entries.put(entry.getName(), in.readAllBytes());
      }
    }
    String json =
        new String(entries.get("patient.fhir.json"), java.nio.charset.StandardCharsets.UTF_8);
    List<String> errors = FhirCheck.errors(json);
    assertTrue(errors.isEmpty(), String.join("\n", FhirCheck.all(json)));
    Bundle bundle = FhirCheck.R4.newJsonParser().parseResource(Bundle.class, json);
    assertEquals("Auskunft", all(bundle, Patient.class).get(0).getNameFirstRep().getFamily());
    Attachment sent =
        all(bundle, Communication.class).stream()
            .filter(c -> c.getPayloadFirstRep().hasContentAttachment())
            .findFirst()
            .orElseThrow()
            .getPayloadFirstRep()
            .getContentAttachment();
    assertTrue(sent.getUrl().startsWith("files/"), sent.getUrl());
    assertTrue(Arrays.equals(scan.getBytes(), entries.get(sent.getUrl())), "the original file");
    String consentFile = all(bundle, Consent.class).get(0).getSourceAttachment().getUrl();
    assertTrue(entries.containsKey(consentFile), "the signed consent: " + entries.keySet());
    assertEquals(3, entries.size(), entries.keySet().toString());
    assertEquals(
        0,
        java.nio.file.Files.list(server.dataDir().resolve("exports").resolve("access")).count(),
        "the archive is deleted once sent");

    Session partnerAdmin = server.login(network.careHome().admin());
    assertEquals("not_found", server.api().get(dataExport, partnerAdmin.accessToken()).code());
    assertEquals("not_found", server.api().get(dataExport, network.eve().accessToken()).code());
    assertEquals(
        "admin_required", server.api().get(dataExport, network.tom().accessToken()).code());
  }

  @Test
  void onlyAnAdministratorOfTheOwningOrganisationExports() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Nurfürpraxis");
    UUID room = patientRoom.room();
    Session partnerAdmin = server.login(network.careHome().admin());
    Session practiceMember = server.login(server.user(network.practice()));

    assertEquals("admin_required", export(room, network.tom()).code());
    assertEquals("admin_required", export(room, practiceMember).code());
    Api.Response partner = export(room, partnerAdmin);
    assertEquals(403, partner.status());
    assertEquals("export_not_allowed", partner.code());
    Api.Response outsider = export(room, network.eve());
    assertEquals(403, outsider.status());
    assertEquals("not_a_member", outsider.code());
    assertEquals("not_a_member", export(UUID.randomUUID(), network.anna()).code());

    // the partner's attempt is in the owner's trail
    JsonArray trail =
        server.api().get("/api/v1/audit-events?limit=50", network.anna().accessToken()).array();
    assertTrue(
        trail.stream()
            .map(JsonObject.class::cast)
            .anyMatch(
                e ->
                    "room.fhir_exported".equals(e.getString("action"))
                        && "denied".equals(e.getString("outcome"))),
        trail.encodePrettily());
  }
}
