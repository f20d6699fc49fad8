package org.konsil.server.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestDatabase;

/**
 * Retention with a pinned clock: the daily job removes exactly the rooms and outbox rows past their
 * retention, a legal hold keeps a patient's rooms, and the audit trail still verifies.
 */
class RetentionTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response settings(Session session, Object patientYears, Object generalYears) {
    return server
        .api()
        .put(
            "/api/v1/organisation/retention",
            new JsonObject()
                .put("patientRoomYears", patientYears)
                .put("generalRoomYears", generalYears),
            session.accessToken());
  }

  static Api.Response legalHold(HttpMethod method, UUID patient, Session session) {
    return server
        .api()
        .send(
            method,
            "/api/v1/patients/" + patient + "/legal-hold",
            session.accessToken(),
            null,
            null);
  }

  static long rooms(UUID room) {
    return server.count("SELECT count(*) FROM rooms WHERE id = '" + room + "'");
  }

  static RetentionJob.Report run() {
    return KonsilServer.await(server.wiring().records().retentionJob().runOnce());
  }

  @Test
  void theJobRemovesWhatIsDueKeepsWhatIsHeldAndTheTrailStillVerifies() throws Exception {
    Session anna = network.anna();
    JsonObject defaults =
        server.api().get("/api/v1/organisation/retention", anna.accessToken()).json();
    assertEquals(10, defaults.getInteger("patientRoomYears"));
    assertEquals(6, defaults.getInteger("generalRoomYears"));
    assertEquals(30, defaults.getInteger("outboxDays"));
    assertEquals("validation_failed", settings(anna, 9, 6).code(), "below §630f BGB");
    assertEquals("validation_failed", settings(anna, 10, 31).code());
    assertEquals("validation_failed", settings(anna, "zehn", 6).code());
    assertEquals("admin_required", settings(network.tom(), 10, 2).code());
    Api.Response changed = settings(anna, 10, 2);
    assertEquals(200, changed.status(), changed.body());
    assertEquals(2, changed.json().getInteger("generalRoomYears"));

    CareNetwork.PatientRoom old = network.patientRoom("Abgelaufen");
    server.sendRest(anna, old.room(), "Befund besprochen");
    assertEquals(
        201,
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/" + old.room() + "/attachments?clientMsgId=" + UUID.randomUUID(),
                anna.accessToken(),
                "image/png",
                Documents.png())
            .status());
    CareNetwork.PatientRoom held = network.patientRoom("Gehalten");
    server.sendRest(anna, held.room(), "Streitfall, bitte aufbewahren");
    Api.Response hold = legalHold(HttpMethod.PUT, held.patient(), anna);
    assertEquals(200, hold.status(), hold.body());
    assertTrue(hold.json().getBoolean("legalHold"));
    assertEquals(
        "not_found",
        legalHold(HttpMethod.PUT, held.patient(), network.eve()).code(),
        "another organisation's patient");
    UUID general = server.room(anna, network.careHome().id());
    server.sendRest(anna, general, "Dienstbesprechung Dienstag");
    for (int i = 0; i < RetentionJob.BATCH + 20; i++) {
      server.sendRest(anna, general, "Nachricht " + i);
    }
    TestDatabase.execute(
        server.database(),
        "INSERT INTO outbox (channel, recipient, payload, status, next_attempt_at, created_at,"
            + " sent_at) VALUES ('mail', 'someone@example.org', '{}', 'sent', now(), now(),"
            + " now())");
    long outboxBefore = server.count("SELECT count(*) FROM outbox");

    assertEquals(0, run().rooms(), "nothing is due today");

    // three years on: the general room (two years) is due, the patient rooms are not
    server.clock.advance(Duration.ofDays(3 * 365));
    RetentionJob.Report third = run();
    assertEquals(1, third.rooms());
    assertEquals(RetentionJob.BATCH + 21, third.messages());
    assertEquals(0, rooms(general));
    assertEquals(1, rooms(old.room()));
    assertEquals(outboxBefore, third.outboxRows() + server.count("SELECT count(*) FROM outbox"));
    assertEquals(
        0, server.count("SELECT count(*) FROM outbox WHERE recipient = 'someone@example.org'"));
    assertEquals(
        2,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'retention.messages_deleted'"
                + " AND object_id = '"
                + general
                + "'"),
        "one audit event per batch");

    // ten years and a day after the last message: the old room goes, the held one stays
    server.clock.advance(Duration.ofDays(7 * 365 + 10));
    RetentionJob.Report tenth = run();
    assertEquals(1, tenth.rooms());
    assertEquals(1, tenth.files());
    assertEquals(0, rooms(old.room()));
    assertEquals(
        0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + old.room() + "'"));
    assertEquals(1, rooms(held.room()));
    assertEquals(
        1, server.count("SELECT count(*) FROM messages WHERE room_id = '" + held.room() + "'"));
    try (var stored = Files.list(server.dataDir().resolve("files"))) {
      // the two consent documents stay with their patients; the image went with its room
      assertEquals(2, stored.filter(Files::isRegularFile).count());
    }

    // once the hold is lifted, the next run removes it
    Session admin = server.login(network.anna().user());
    Api.Response lifted = legalHold(HttpMethod.DELETE, held.patient(), admin);
    assertEquals(200, lifted.status(), lifted.body());
    assertEquals(1, run().rooms());
    assertEquals(0, rooms(held.room()));

    KonsilServer.await(server.wiring().auditAnchors().anchor());
    AuditLog.Verification verified = KonsilServer.await(server.wiring().audit().verify());
    assertTrue(verified.intact(), verified.problems().toString());
  }
}
