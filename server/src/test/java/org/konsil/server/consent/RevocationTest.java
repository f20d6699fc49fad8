package org.konsil.server.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/** A revocation closes every room about the patient and masks its history; nothing is deleted. */
class RevocationTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response revoke(UUID patient) {
    return server
        .api()
        .send(
            HttpMethod.POST,
            "/api/v1/patients/" + patient + "/revocation?date=2026-11-20",
            network.anna().accessToken(),
            null,
            null);
  }

  static JsonObject send(UUID room, String content) {
    return new JsonObject()
        .put("type", "send")
        .put("room", room.toString())
        .put("clientMsgId", UUID.randomUUID().toString())
        .put("content", content);
  }

  @Test
  void revocationMasksHistoryInRestPushAndSyncAndRefusesNewMessages() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Widerruf");
    UUID patient = patientRoom.patient();
    UUID room = patientRoom.room();
    server.sendRest(network.anna(), room, "Blutzucker 180 mg/dl");
    server.sendRest(network.tom(), room, "Verstanden, wir messen nach");
    try (TestSocket live = server.socket(network.tom())) {
      Api.Response revoked = revoke(patient);
      assertEquals(200, revoked.status(), revoked.body());
      assertEquals("inactive", revoked.json().getString("status"));
      assertEquals("2026-11-20", revoked.json().getString("revocationDate"));

      // push: the notice and a frame that tells the client to mask what it shows
      assertEquals(room.toString(), live.next("revoked").getString("room"));
      JsonObject notice = live.next("message");
      assertEquals("system", notice.getString("kind"));
      assertEquals(3, notice.getLong("seq"));
      assertTrue(notice.getString("content").contains("consent_revoked"));

      // sync: earlier messages come masked; the notice, pushed on this connection, not again
      live.send(new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 0));
      List<JsonObject> synced = live.messages(2);
      assertNull(synced.get(0).getString("content"));
      assertTrue(synced.get(0).getBoolean("masked"));
      assertNull(synced.get(1).getString("content"));
      assertEquals(3, live.next("synced").getLong("seq"));

      // sending: refused over the socket and over REST, nothing stored
      live.send(send(room, "noch eine Frage"));
      assertEquals("consent_revoked", live.next("error").getString("code"));
    }
    Api.Response rest =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("content", "x"),
                network.anna().accessToken());
    assertEquals(409, rest.status());
    assertEquals("consent_revoked", rest.code());

    // history: masked for everyone, the notice readable
    for (Session reader : List.of(network.anna(), network.tom())) {
      JsonArray history =
          server
              .api()
              .get("/api/v1/rooms/" + room + "/messages", reader.accessToken())
              .json()
              .getJsonArray("messages");
      assertEquals(3, history.size());
      assertNull(history.getJsonObject(0).getString("content"));
      assertTrue(history.getJsonObject(0).getBoolean("masked"));
      assertTrue(history.getJsonObject(2).getString("content").contains("consent_revoked"));
    }
    assertTrue(
        !server
            .api()
            .get("/api/v1/rooms/" + room + "/messages", network.tom().accessToken())
            .body()
            .contains("Blutzucker"));

    // nothing deleted
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE room_id = '"
                + room
                + "' AND content = 'Blutzucker 180 mg/dl'"));

    // the patient: search shows the notice; no new rooms, no new consent, no second revocation
    JsonObject found =
        server
            .api()
            .get("/api/v1/patients?query=widerruf", network.anna().accessToken())
            .array()
            .getJsonObject(0);
    assertEquals("revoked", found.getString("consent"));
    assertTrue(found.getString("consentRevokedAt") != null);
    assertEquals(
        "consent_revoked",
        server.patientRoom(network.anna(), patient, network.careHome().id()).code());
    assertEquals(
        "consent_revoked",
        server
            .uploadConsent(
                network.anna(),
                patient,
                Documents.pdf(),
                "application/pdf",
                network.careHome().id())
            .code());
    assertEquals("consent_revoked", revoke(patient).code());
    JsonObject roomView =
        server.api().get("/api/v1/rooms/" + room, network.tom().accessToken()).json();
    assertTrue(roomView.getString("consentRevokedAt") != null);
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'consent.revoked'"
                + " AND details LIKE '%"
                + patient
                + "%' AND details NOT LIKE '%Widerruf%'"));
  }

  @Test
  void afterARevocationPartnersSeeNeitherTheNameNorTheConsentDocument() {
    CareNetwork.PatientRoom hansen =
        network.patientRoom("Hansen", "Hansen, Erika – Wundversorgung");
    UUID patient = hansen.patient();
    UUID room = hansen.room();
    String document = "/api/v1/consents/" + hansen.consent() + "/document";
    assertEquals(
        200, server.api().get(document, network.tom().accessToken()).status(), "before: readable");
    server.sendRest(network.tom(), room, "Wunde heilt gut");

    List<JsonObject> frames = new ArrayList<>();
    try (TestSocket live = server.socket(network.tom())) {
      assertEquals(200, revoke(patient).status());
      frames.add(live.next("revoked"));
      frames.add(live.next("message"));
      live.send(new JsonObject().put("type", "sync").put("room", room.toString()).put("after", 0));
      frames.add(live.next("synced"));
      live.send(new JsonObject().put("type", "ping").put("ref", "p1"));
      live.next("pong");
      frames.addAll(live.remaining());
    }
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, network.tom().accessToken())
            .json()
            .getString("ticket");
    try (TestSocket again =
        TestSocket.connect(server.clientVertx(), server.port(), "/api/v1/ws?ticket=" + ticket)) {
      frames.add(again.next("ready"));
    }
    Api.Response list = server.api().get("/api/v1/rooms", network.tom().accessToken());
    Api.Response view = server.api().get("/api/v1/rooms/" + room, network.tom().accessToken());
    Api.Response consent =
        server.api().get("/api/v1/patients/" + patient + "/consent", network.tom().accessToken());
    Api.Response history =
        server.api().get("/api/v1/rooms/" + room + "/messages", network.tom().accessToken());
    Api.Response search =
        server.api().get("/api/v1/patients?query=Hansen", network.tom().accessToken());
    assertEquals(200, view.status());
    assertEquals(200, search.status());
    assertEquals(0, search.array().size(), "partners do not search the practice's patients");
    JsonObject listed =
        list.array().stream()
            .map(r -> (JsonObject) r)
            .filter(r -> r.getString("id").equals(room.toString()))
            .findFirst()
            .orElseThrow();
    List<String> answers = new ArrayList<>();
    answers.add(listed.encode());
    answers.add(view.body());
    answers.add(consent.body());
    answers.add(history.body());
    frames.forEach(frame -> answers.add(frame.encode()));
    for (String answer : answers) {
      for (String identity : List.of("Hansen", "Erika", "1941-03-07")) {
        assertTrue(!answer.contains(identity), identity + " shown to the partner in " + answer);
      }
    }
    JsonObject seen = view.json();
    assertEquals("Patient – Einwilligung widerrufen", seen.getString("title"));
    assertTrue(seen.getBoolean("identityWithheld"));
    assertEquals(patient.toString(), seen.getJsonObject("patient").getString("id"));
    assertEquals("Patient – Einwilligung widerrufen", listed.getString("title"));

    Api.Response refused = server.api().get(document, network.tom().accessToken());
    assertEquals(403, refused.status());
    assertEquals("consent_revoked", refused.code());
    String practicesCopy =
        "SELECT count(*) FROM audit_events WHERE action = 'consent.document_read'"
            + " AND outcome = 'denied' AND actor_user_id = '"
            + network.tom().userId()
            + "' AND organisation_id = '"
            + network.practice().id()
            + "'";
    // the practice's copy of a refusal is written after the answer
    Waiting.until(() -> server.count(practicesCopy) == 1, "the refusal in the practice's trail");

    // the patient's own organisation still sees everything
    JsonObject own = server.api().get("/api/v1/rooms/" + room, network.anna().accessToken()).json();
    assertEquals("Hansen, Erika – Wundversorgung", own.getString("title"));
    assertEquals(false, own.getBoolean("identityWithheld"));
    assertEquals("Hansen", own.getJsonObject("patient").getString("familyName"));
    assertEquals("1941-03-07", own.getJsonObject("patient").getString("birthDate"));
    assertEquals(200, server.api().get(document, network.anna().accessToken()).status());
  }

  @Test
  void revocationWithADocumentKeepsItForThePatientsOrganisationOnly() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Mitdokument");
    String revocationDocument =
        "/api/v1/consents/" + patientRoom.consent() + "/revocation-document";
    // before a revocation there is nothing of this kind to open
    assertEquals(404, server.api().get(revocationDocument, network.anna().accessToken()).status());
    Buffer signed = Documents.pdf();
    Api.Response revoked =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patientRoom.patient() + "/revocation?date=2026-11-21",
                network.anna().accessToken(),
                "application/pdf",
                signed);
    assertEquals(200, revoked.status(), revoked.body());
    String documentId = revoked.json().getString("revocationDocumentId");
    assertEquals(
        1, server.count("SELECT count(*) FROM stored_files WHERE id = '" + documentId + "'"));

    // the room tells the patient's organisation that there is a document to open
    JsonObject room =
        server
            .api()
            .get("/api/v1/rooms/" + patientRoom.room(), network.anna().accessToken())
            .json();
    assertEquals(true, room.getJsonObject("consent").getBoolean("revocationDocument"));
    Api.Response opened = server.api().get(revocationDocument, network.anna().accessToken());
    assertEquals(200, opened.status(), opened.body());
    assertEquals("application/pdf", opened.contentType());
    assertEquals(signed, opened.bytes());
    assertTrue(opened.headers().get("Content-Disposition").contains("revocation-1.pdf"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'consent.revocation_document_read'"
                + " AND outcome = 'success' AND organisation_id = '"
                + network.practice().id()
                + "'"));

    // the partner in the room is told why, the outsider learns nothing; both refusals audited
    Api.Response partner = server.api().get(revocationDocument, network.tom().accessToken());
    assertEquals(403, partner.status());
    assertEquals("consent_revoked", partner.code());
    Api.Response outsider = server.api().get(revocationDocument, network.eve().accessToken());
    assertEquals(404, outsider.status());
    assertEquals("not_found", outsider.code());
    assertEquals(
        404,
        server
            .api()
            .get(
                "/api/v1/consents/" + UUID.randomUUID() + "/revocation-document",
                network.anna().accessToken())
            .status());
    // the partner's and the outsider's attempts, and Anna's unknown id (in her own trail)
    assertEquals(
        3,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'consent.revocation_document_read'"
                + " AND outcome = 'denied' AND organisation_id = '"
                + network.practice().id()
                + "'"));
  }

  @Test
  void onlyThePatientsOrganisationRevokesAndBadRequestsAreRefused() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Fremd");
    Api.Response foreign =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patientRoom.patient() + "/revocation?date=2026-11-20",
                network.tom().accessToken(),
                null,
                null);
    assertEquals(404, foreign.status());
    Api.Response noDate =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patientRoom.patient() + "/revocation",
                network.anna().accessToken(),
                null,
                null);
    assertEquals("validation_failed", noDate.code());
    UUID withoutConsent = server.patient(network.anna(), "Ohnezustimmung");
    assertEquals("consent_required", revoke(withoutConsent).code());
    server.sendRest(network.anna(), patientRoom.room(), "geht noch");
  }

  @Test
  void noMessageIsAcceptedAfterTheRevocationCommitsAndNoAckedOneIsLost() throws Exception {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Wettlauf");
    UUID room = patientRoom.room();
    List<String> acked = new ArrayList<>();
    try (TestSocket a = server.socket(network.anna())) {
      for (int i = 0; i < 300; i++) {
        a.send(send(room, "m" + i));
      }
      a.next("ack");
      Api.Response revoked = revoke(patientRoom.patient());
      assertEquals(200, revoked.status(), revoked.body());
      int answers = 1;
      int refused = 0;
      acked.add("first");
      while (answers < 300) {
        JsonObject frame = a.next();
        if ("ack".equals(frame.getString("type"))) {
          acked.add(frame.getString("clientMsgId"));
          answers++;
        } else if ("error".equals(frame.getString("type"))) {
          assertEquals("consent_revoked", frame.getString("code"));
          answers++;
          refused++;
        }
      }
      assertTrue(refused > 0, "the revocation landed while sends were still coming");
    }
    long noticeSeq =
        server.count("SELECT seq FROM messages WHERE room_id = '" + room + "' AND kind = 'system'");
    assertEquals(
        acked.size(),
        server.count(
            "SELECT count(*) FROM messages WHERE room_id = '" + room + "' AND kind = 'text'"),
        "every acked message is stored, nothing else");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM messages WHERE room_id = '"
                + room
                + "' AND kind = 'text' AND seq > "
                + noticeSeq),
        "nothing after the revocation notice");
  }
}
