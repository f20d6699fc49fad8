package org.konsil.server.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.Waiting;

/** All rooms an organisation holds the documentation of, as FHIR NDJSON, made by a job. */
class BulkExportTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response start(Session session) {
    return server.api().post("/api/v1/fhir-exports", null, session.accessToken());
  }

  static Api.Response status(UUID id, Session session) {
    return server.api().get("/api/v1/fhir-exports/" + id, session.accessToken());
  }

  @Test
  void exportsEveryOwnRoomAsNdjsonWithProgressAndNothingOfOthers() {
    UUID first = network.patientRoom("Bulkmann").room();
    UUID second = network.patientRoom("Bulkfrau").room();
    UUID general = server.room(network.anna(), network.careHome().id());
    server.sendRest(network.anna(), first, "erste Nachricht im ersten Raum");
    server.sendRest(network.tom(), second, "Antwort im zweiten Raum");
    server.sendRest(network.anna(), general, "allgemeine Frage");
    // a room the care home owns: the practice is a member, not the holder of its documentation
    UUID theirs = server.room(network.tom(), network.practice().id());
    server.sendRest(network.tom(), theirs, "Dienstplan der Pflege");

    Api.Response started = start(network.anna());
    assertEquals(202, started.status(), started.body());
    UUID id = UUID.fromString(started.json().getString("id"));
    long own =
        server.count(
            "SELECT count(*) FROM rooms r LEFT JOIN patients p ON p.id = r.patient_id"
                + " WHERE p.organisation_id = '"
                + network.practice().id()
                + "' OR (r.patient_id IS NULL AND r.created_by_org = '"
                + network.practice().id()
                + "')");
    assertEquals(own, started.json().getLong("roomsTotal"));
    Waiting.until(
        () -> "done".equals(status(id, network.anna()).json().getString("status")),
        "the export finishes");
    JsonObject done = status(id, network.anna()).json();
    assertEquals(own, done.getLong("roomsDone"));
    assertTrue(done.getLong("bytes") > 0);

    Api.Response file =
        server.api().get("/api/v1/fhir-exports/" + id + "/ndjson", network.anna().accessToken());
    assertEquals(200, file.status(), file.body());
    assertEquals("application/fhir+ndjson", file.contentType());
    assertEquals(done.getLong("bytes"), (long) file.bytes().length());
    List<JsonObject> lines = file.body().lines().map(JsonObject::new).toList();
    Set<String> ids = new HashSet<>();
    for (JsonObject resource : lines) {
      assertTrue(
          ids.add(resource.getString("resourceType") + "/" + resource.getString("id")),
          "each resource once: " + resource.getString("resourceType"));
    }
    List<String> texts =
        lines.stream()
            .filter(r -> "Communication".equals(r.getString("resourceType")))
            .map(r -> r.getJsonArray("payload").getJsonObject(0).getString("contentString"))
            .toList();
    assertTrue(texts.contains("erste Nachricht im ersten Raum"));
    assertTrue(texts.contains("Antwort im zweiten Raum"));
    assertTrue(texts.contains("allgemeine Frage"));
    assertFalse(texts.contains("Dienstplan der Pflege"), "another organisation's room");
    // references name resources by type and id, as bulk data does
    JsonObject message =
        lines.stream()
            .filter(r -> "Communication".equals(r.getString("resourceType")))
            .findFirst()
            .orElseThrow();
    assertTrue(
        message.getJsonObject("sender").getString("reference").startsWith("PractitionerRole/"));
    // every line is a valid R4 resource on its own
    for (JsonObject resource : lines.subList(0, Math.min(lines.size(), 12))) {
      List<String> errors =
          FhirCheck.errors(resource.encode()).stream()
              .filter(e -> !e.contains("Unable to resolve"))
              .toList();
      assertTrue(errors.isEmpty(), resource.getString("resourceType") + ": " + errors);
    }
  }

  @Test
  void onlyAdministratorsSeeTheirOwnExports() {
    Api.Response started = start(network.anna());
    assertEquals(202, started.status(), started.body());
    UUID id = UUID.fromString(started.json().getString("id"));

    assertEquals("admin_required", start(network.tom()).code());
    assertEquals("admin_required", status(id, network.tom()).code());
    Api.Response foreign = status(id, network.eve());
    assertEquals(404, foreign.status());
    assertEquals("not_found", foreign.code());
    Api.Response foreignFile =
        server.api().get("/api/v1/fhir-exports/" + id + "/ndjson", network.eve().accessToken());
    assertEquals("not_found", foreignFile.code());
    assertEquals("not_found", status(UUID.randomUUID(), network.anna()).code());
    assertEquals(
        "not_found",
        server.api().get("/api/v1/fhir-exports/not-an-id", network.anna().accessToken()).code());
  }

  @Test
  void oneExportAtATimeAndNoFileBeforeItIsDone() {
    // an export of the outsider's organisation that is still running
    UUID running = UUID.randomUUID();
    TestDatabase.execute(
        server.database(),
        "INSERT INTO record_exports (id, organisation_id, requested_by, status, rooms_total,"
            + " created_at, updated_at) SELECT '"
            + running
            + "', organisation_id, id, 'running', 3, now(), now() FROM users WHERE id = '"
            + network.eve().userId()
            + "'");

    Api.Response second = start(network.eve());
    assertEquals(409, second.status());
    assertEquals("export_running", second.code());
    Api.Response early =
        server
            .api()
            .get("/api/v1/fhir-exports/" + running + "/ndjson", network.eve().accessToken());
    assertEquals(409, early.status());
    assertEquals("export_not_ready", early.code());

    // left behind by a node that stopped: after ten minutes without progress it counts as failed
    TestDatabase.execute(
        server.database(),
        "UPDATE record_exports SET updated_at = now() - interval '60 minutes' WHERE id = '"
            + running
            + "'");
    Api.Response after = start(network.eve());
    assertEquals(202, after.status(), after.body());
    assertEquals("failed", status(running, network.eve()).json().getString("status"));
  }
}
