package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilProcess;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.Waiting;

/**
 * The audit trail: written with the changes it describes, append-only, keyed and anchored; each way
 * of tampering with it is named by verify-audit.
 */
class AuditTrailTest {

  /** Anchors are written when a test asks for one, and at shutdown; the timer stays out of it. */
  @RegisterExtension
  static KonsilServer server =
      new KonsilServer().with("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", "3600");

  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  static boolean kept;

  static List<String> actions(JsonArray events) {
    return events.stream().map(e -> ((JsonObject) e).getString("action")).toList();
  }

  @Test
  void adminsSeeTheirOrganisationsEventsWithIdsOnly() {
    CareNetwork network = CareNetwork.create(server);
    Session anna = network.anna();
    UUID patient = network.patientRoom("Geheimname").patient();
    server
        .api()
        .post(
            "/api/v1/auth/login",
            new JsonObject()
                .put("email", network.practice().admin().email())
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

    Session careHomeAdmin = server.login(network.careHome().admin());
    String theirs = server.api().get("/api/v1/audit-events", careHomeAdmin.accessToken()).body();
    assertFalse(theirs.contains(patient.toString()), "another organisation's log is not shown");
    Session member = server.login(server.user(network.practice()));
    assertEquals(
        "admin_required", server.api().get("/api/v1/audit-events", member.accessToken()).code());
    assertEquals(
        "validation_failed",
        server.api().get("/api/v1/audit-events?limit=0", anna.accessToken()).code());
  }

  /** The anchor file of this server: only the tests write anchors, and shutdown does. */
  static Path anchorFile() {
    return server.dataDir().resolve("audit-anchors");
  }

  static long newest() {
    return server.count("SELECT max(id) FROM audit_events");
  }

  static AuditLog.Verification verify() {
    return KonsilServer.await(server.wiring().audit().verify());
  }

  static void anchor() {
    KonsilServer.await(server.wiring().auditAnchors().anchor());
  }

  /** A few events: an organisation with its admin, a login and two patients. */
  static void someEvents() {
    TestOrg clinic = server.organisation("clinic");
    Session admin = server.login(clinic.admin());
    server.patient(admin, "Kette");
    server.patient(admin, "Glied");
  }

  /** Changes rows behind the server's back, with the append-only triggers off. */
  static void tamper(String sql) {
    TestDatabase.execute(
        server.database(),
        "ALTER TABLE audit_events DISABLE TRIGGER USER; "
            + sql
            + "; ALTER TABLE audit_events ENABLE TRIGGER USER");
  }

  /**
   * Keeps a copy of the chain as it is now, in a schema of its own beside Konsil's; it is put back
   * after the test.
   */
  static void keep() {
    TestDatabase.execute(
        server.database(),
        "CREATE SCHEMA IF NOT EXISTS kept; DROP TABLE IF EXISTS kept.audit_events;"
            + " CREATE TABLE kept.audit_events AS SELECT * FROM audit_events");
    kept = true;
  }

  /** Each test leaves an intact chain for the next. */
  @AfterEach
  void putTheChainBack() {
    if (kept) {
      tamper(
          "DELETE FROM audit_events; INSERT INTO audit_events SELECT * FROM kept.audit_events;"
              + " DROP TABLE kept.audit_events");
      kept = false;
    }
    anchor();
    AuditLog.Verification result = verify();
    assertTrue(result.intact(), () -> "put back intact: " + result.problems());
  }

  /** verify-audit as the operator runs it, in a JVM of its own. */
  static String verifyAuditCommand() throws Exception {
    Map<String, String> env = new HashMap<>();
    for (String name :
        List.of("KONSIL_DATABASE_URL", "KONSIL_DATABASE_MIGRATION_URL", "KONSIL_DATA_DIR")) {
      if (server.env(name) != null) {
        env.put(name, server.env(name));
      }
    }
    try (KonsilProcess cli =
        KonsilProcess.start(env, Scratch.folder("konsil-cli"), "verify-audit")) {
      return cli.outputAfterExit(60);
    }
  }

  static boolean has(AuditLog.Verification result, long eventId, String text) {
    return result.problems().stream()
        .anyMatch(p -> Long.valueOf(eventId).equals(p.eventId()) && p.description().contains(text));
  }

  /**
   * A writer that waits for the chain lock takes its time once it holds it: a row never carries an
   * earlier time than the row before it, however long it waited.
   */
  @Test
  void theTimeIsTakenUnderTheChainLockSoItNeverGoesBackAlongTheIds() throws Exception {
    someEvents();
    try (Connection holder =
        DriverManager.getConnection(
            server.database().jdbcUrl(), server.database().user(), server.database().password())) {
      holder.setAutoCommit(false);
      try (Statement lock = holder.createStatement()) {
        lock.execute("SELECT pg_advisory_xact_lock(" + AuditLog.CHAIN_LOCK + ")");
      }
      var waiting =
          server
              .wiring()
              .audit()
              .recordAlone(
                  new AuditEvent(
                      null, null, null, "test.waited", "success", null, null, new JsonObject()));
      Waiting.until(
          () ->
              server.count(
                      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                  > 0,
          "the writer waits for the chain lock");
      // the lock is held for five minutes, as by a slow transaction that writes to the chain
      server.clock.advance(Duration.ofMinutes(5));
      holder.commit();
      KonsilServer.await(waiting);
    }
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'test.waited' AND occurred_at = '"
                + server.clock.instant()
                + "'"),
        "the time when the row joined the chain, not when it was asked for");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM audit_events a JOIN audit_events b ON b.id = a.id + 1"
                + " WHERE b.occurred_at < a.occurred_at"),
        "times never go back along the ids");
  }

  @Test
  void anIntactChainPassesWithEveryAnchorChecked() throws Exception {
    someEvents();
    anchor();
    someEvents();
    anchor();
    int lines = AuditRows.anchorLines(anchorFile()).size();
    anchor();
    assertEquals(
        lines,
        AuditRows.anchorLines(anchorFile()).size(),
        "no new anchor while the head is the same");

    AuditLog.Verification result = verify();
    assertTrue(result.intact(), () -> result.problems().toString());
    assertEquals(server.count("SELECT count(*) FROM audit_events"), result.checked());
    assertEquals(0, result.legacyEvents(), "a new installation is keyed from its first event");
    assertTrue(result.anchorFileFound());
    assertEquals(lines, result.anchorsChecked());
    assertTrue(lines >= 2, "anchors: " + lines);

    String output = verifyAuditCommand();
    assertTrue(output.contains("(exit 0)"), output);
    assertTrue(
        output.contains("The audit trail is intact: " + result.checked() + " events checked."),
        output);
    assertTrue(output.contains("Anchors checked against the chain: " + lines + " ("), output);
  }

  @Test
  void anEditedRowIsNamedByItsMac() throws Exception {
    someEvents();
    long victim = server.count("SELECT max(id) FROM audit_events WHERE action = 'patient.created'");
    anchor();
    someEvents();
    assertThrows(
        IllegalStateException.class,
        () -> TestDatabase.execute(server.database(), "DELETE FROM audit_events"),
        "append-only");
    keep();
    tamper("UPDATE audit_events SET outcome = 'denied' WHERE id = " + victim);

    AuditLog.Verification result = verify();
    assertFalse(result.intact());
    assertEquals(1, result.problemCount(), () -> result.problems().toString());
    assertEquals(victim, result.firstBrokenId());
    assertTrue(
        has(result, victim, "its content does not match its MAC"), result.problems()::toString);

    String output = verifyAuditCommand();
    assertTrue(output.contains("(exit 1)"), output);
    assertTrue(
        output.contains(
            "The audit trail is broken at event "
                + victim
                + ": its content does not match its MAC"),
        output);
  }

  @Test
  void aDeletedRowInTheMiddleIsNamedAsMissing() {
    someEvents();
    anchor();
    someEvents();
    long victim = newest() - 2;
    keep();
    tamper("DELETE FROM audit_events WHERE id = " + victim);

    AuditLog.Verification result = verify();
    assertEquals(1, result.problemCount(), () -> result.problems().toString());
    assertTrue(
        has(result, victim + 1, "event " + victim + " before it is missing (deleted)"),
        result.problems()::toString);
  }

  @Test
  void deletedNewestRowsAreFoundByTheAnchor() throws Exception {
    someEvents();
    anchor();
    long anchored = newest();
    List<String> anchors = AuditRows.anchorLines(anchorFile());
    String last = anchors.get(anchors.size() - 1);
    assertTrue(last.contains(" event=" + anchored + " "), last);
    assertTrue(last.endsWith(" count=" + server.count("SELECT count(*) FROM audit_events")), last);
    assertTrue(last.startsWith(server.clock.instant() + " "), "the injected clock: " + last);
    keep();
    tamper("DELETE FROM audit_events WHERE id > " + (anchored - 2));

    AuditLog.Verification result = verify();
    assertFalse(result.intact());
    assertTrue(has(result, anchored, "newest events deleted"), () -> result.problems().toString());
    assertTrue(
        result.problems().stream().allMatch(p -> p.description().contains("newest events deleted")),
        () ->
            "what is left is a consistent chain, only the anchor finds the cut: "
                + result.problems());

    String output = verifyAuditCommand();
    assertTrue(output.contains("(exit 1)"), output);
    assertTrue(output.contains("broken at event " + anchored + ": it was anchored at"), output);
    assertTrue(
        output.contains("Anchors checked against the chain: " + anchors.size() + " ("), output);
  }

  @Test
  void swappedRowsAreNamedAsReordered() {
    someEvents();
    anchor();
    someEvents();
    long first = newest() - 3;
    keep();
    tamper(
        "UPDATE audit_events SET id = -1 WHERE id = "
            + first
            + "; UPDATE audit_events SET id = "
            + first
            + " WHERE id = "
            + (first + 1)
            + "; UPDATE audit_events SET id = "
            + (first + 1)
            + " WHERE id = -1");

    AuditLog.Verification result = verify();
    assertEquals(first, result.firstBrokenId());
    assertTrue(
        has(
            result,
            first + 1,
            "it follows event "
                + (first - 1)
                + " instead of event "
                + first
                + " (events swapped or reordered)"),
        result.problems()::toString);
  }

  @Test
  void aChainResealedWithAnotherKeyFailsAtEveryRow() throws Exception {
    someEvents();
    anchor();
    long rows = server.count("SELECT count(*) FROM audit_events");
    long firstId = server.count("SELECT min(id) FROM audit_events");
    keep();
    AuditRows.resealWith(server.database(), Secrets.randomBytes(32));

    AuditLog.Verification result = verify();
    assertTrue(result.problemCount() > rows, "every row and the anchors: " + result.problemCount());
    assertEquals(firstId, result.firstBrokenId());
    assertTrue(
        has(result, firstId, "its content does not match its MAC"), result.problems()::toString);
    assertTrue(
        result.problems().stream()
            .noneMatch(
                p -> p.description().contains("follow") || p.description().contains("missing")),
        () -> "the links fit, only the MACs and anchors do not: " + result.problems());
    assertTrue(
        result.problems().stream().anyMatch(p -> p.description().contains("replaced or re-sealed")),
        () -> "the anchors see another hash: " + result.problems());
  }

  @Test
  void theHeadIsAnchoredAtShutdownAndTheKeyIsKeptOwnerOnly() throws Exception {
    someEvents();
    long head = newest();
    Path keyFile = server.dataDir().resolve("audit-key");
    String key = Files.readString(keyFile);
    server.stop();
    try {
      List<String> anchors = AuditRows.anchorLines(anchorFile());
      String last = anchors.get(anchors.size() - 1);
      assertTrue(last.contains(" event=" + head + " "), "the shutdown anchor: " + last);
      assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(anchorFile()));
      assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(keyFile));
    } finally {
      server.start();
    }
    assertEquals(key, Files.readString(keyFile), "the key is made once");
    someEvents();
    assertTrue(verify().intact(), "the restarted node seals with the same key");
  }
}
