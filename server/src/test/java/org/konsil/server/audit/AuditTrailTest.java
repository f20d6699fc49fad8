package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilProcess;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestDatabase;

/** The audit trail: written with the changes it describes, append-only, and hash-chained. */
class AuditTrailTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static List<String> actions(JsonArray events) {
    return events.stream().map(e -> ((JsonObject) e).getString("action")).toList();
  }

  @Test
  void adminsSeeTheirOrganisationsEventsWithIdsOnly() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    Session anna = server.login(practice.admin());
    UUID patient = server.patient(anna, "Geheimname");
    server.uploadConsent(anna, patient, Documents.pdf(), "application/pdf", careHome.id());
    server.patientRoom(anna, patient, careHome.id());
    server
        .api()
        .post(
            "/api/v1/auth/login",
            new JsonObject()
                .put("email", practice.admin().email())
                .put("password", "wrong password!"),
            null);
    server
        .api()
        .post(
            "/api/v1/organisation/users",
            new JsonObject().put("email", "neu@praxis.test").put("displayName", "Neu"),
            anna.accessToken());

    Api.Response listed = server.api().get("/api/v1/audit-events", anna.accessToken());
    assertEquals(200, listed.status());
    List<String> actions = actions(listed.array());
    for (String expected :
        List.of("login", "patient.created", "consent.uploaded", "room.created", "user.added")) {
      assertTrue(actions.contains(expected), expected + " in " + actions);
    }
    assertTrue(
        listed.array().stream()
            .anyMatch(
                e ->
                    "login".equals(((JsonObject) e).getString("action"))
                        && "denied".equals(((JsonObject) e).getString("outcome"))),
        "the failed login is there");
    assertFalse(listed.body().contains("Geheimname"), "no patient names in the audit trail");
    assertFalse(listed.body().contains("Erika"));

    Session careHomeAdmin = server.login(careHome.admin());
    String theirs = server.api().get("/api/v1/audit-events", careHomeAdmin.accessToken()).body();
    assertFalse(theirs.contains(patient.toString()), "another organisation's log is not shown");
    Session member = server.login(server.user(practice));
    assertEquals(
        "admin_required", server.api().get("/api/v1/audit-events", member.accessToken()).code());
    assertEquals(
        "validation_failed",
        server.api().get("/api/v1/audit-events?limit=0", anna.accessToken()).code());
  }

  @Test
  void rowsCannotBeChangedAndAnEditedRowIsFoundByTheChainCheck() throws Exception {
    TestOrg clinic = server.organisation("clinic");
    Session admin = server.login(clinic.admin());
    server.patient(admin, "Kette");
    AuditLog.Verification intact = KonsilServer.await(server.wiring().audit().verify());
    assertTrue(intact.intact(), "intact before: " + intact.problem());
    assertTrue(intact.checked() > 0);

    assertThrows(
        IllegalStateException.class,
        () -> TestDatabase.execute(server.database(), "DELETE FROM audit_events"),
        "append-only");
    long victim = server.count("SELECT min(id) FROM audit_events WHERE action = 'patient.created'");
    TestDatabase.execute(
        server.database(),
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update;"
            + " UPDATE audit_events SET outcome = 'denied' WHERE id = "
            + victim
            + ";"
            + " ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update;");
    AuditLog.Verification broken = KonsilServer.await(server.wiring().audit().verify());
    assertFalse(broken.intact());
    assertEquals(victim, broken.firstBrokenId());

    // the operator's command says the same
    Map<String, String> env = new HashMap<>();
    env.put("KONSIL_DATABASE_URL", TestDatabase.url(server.database()));
    env.put("KONSIL_DATA_DIR", server.dataDir().toString());
    try (KonsilProcess cli =
        KonsilProcess.start(env, Files.createTempDirectory("konsil-cli"), "verify-audit")) {
      String output = cli.outputAfterExit(60);
      assertTrue(output.contains("(exit 1)"), output);
      assertTrue(output.contains("broken at event " + victim), output);
    }
    // put it back, so that the class leaves an intact chain
    TestDatabase.execute(
        server.database(),
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update;"
            + " UPDATE audit_events SET outcome = 'success' WHERE id = "
            + victim
            + ";"
            + " ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update;");
    assertTrue(KonsilServer.await(server.wiring().audit().verify()).intact());
  }
}
