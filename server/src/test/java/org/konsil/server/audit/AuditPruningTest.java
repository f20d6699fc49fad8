package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestDatabase;

/**
 * Audit events older than six years go, from the oldest on, after a checkpoint that keeps the rest
 * of the chain and the anchors verifiable; what the checkpoint vouches for cannot be changed
 * without the audit key, and a broken trail is not pruned.
 */
class AuditPruningTest {

  static final Path anchorFile = folder().resolve("konsil-anchors");

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          // anchors only when the test asks for one
          .with("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", "3600")
          .with("KONSIL_AUDIT_ANCHOR_FILE", anchorFile.toString());

  static Path folder() {
    try {
      return Scratch.folder("konsil-pruning");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void eventsOlderThanSixYearsGoAfterACheckpointAndTheRestStillVerifies() throws Exception {
    AuditLog audit = server.wiring().audit();
    AuditPruning pruning = server.wiring().auditPruning();
    DatabaseSettings owner =
        TestDatabase.embedded().roles().owner().withDatabase(server.database().database());

    // seven years ago: an organisation, its admin logging in, two patients
    KonsilServer.Session old = server.login(server.organisation("clinic", "Altklinik").admin());
    server.patient(old, "Frueher");
    KonsilServer.await(server.wiring().auditAnchors().anchor());
    LocalDate oldDay = LocalDate.ofInstant(server.clock.instant(), ZoneOffset.UTC);
    long oldEvents = server.count("SELECT count(*) FROM audit_events");
    long lastOld = server.count("SELECT max(id) FROM audit_events");
    long keyedFrom = KonsilServer.await(audit.verify()).keyedFromId();

    server.clock.advance(Duration.ofDays(7 * 366));
    KonsilServer.Session now = server.login(server.organisation("practice", "Heute").admin());
    server.patient(now, "Heutig");
    KonsilServer.await(server.wiring().auditAnchors().anchor());
    long before = server.count("SELECT count(*) FROM audit_events");

    // events younger than six years are kept whatever the operator asks
    LocalDate tooYoung = pruning.latestAllowed().plusDays(1);
    Throwable young = failure(pruning.prune(tooYoung, owner));
    assertTrue(young instanceof IllegalArgumentException, young.toString());
    assertTrue(young.getMessage().contains("kept six years"), young.getMessage());
    assertEquals(before, server.count("SELECT count(*) FROM audit_events"));

    AuditPruning.Pruned pruned = KonsilServer.await(pruning.prune(oldDay.plusDays(1), owner));

    assertEquals(oldEvents, pruned.removed(), "every event of seven years ago, nothing newer");
    assertEquals(lastOld, pruned.throughId());
    assertEquals(lastOld + 1, server.count("SELECT min(id) FROM audit_events"));
    JsonObject checkpoint =
        new JsonObject(text("SELECT details FROM audit_events WHERE action = 'audit.pruned'"));
    assertEquals(lastOld, checkpoint.getLong("throughId"));
    assertEquals(oldEvents, checkpoint.getLong("count"));
    assertEquals(keyedFrom, checkpoint.getLong("keyedFrom"));

    AuditLog.Verification after = KonsilServer.await(audit.verify());
    assertTrue(after.intact(), () -> after.problems().toString());
    assertEquals(before + 1, after.checked(), "the removed events are counted by the checkpoint");
    assertEquals(lastOld, after.prunedThroughId());
    assertEquals(keyedFrom, after.keyedFromId());
    assertEquals(1, after.anchorsChecked(), "the anchor of a removed event is history");

    // a new anchor counts on from the checkpoint, and the trail verifies with all anchors
    server.login(now.user());
    KonsilServer.await(server.wiring().auditAnchors().anchor());
    List<String> anchors = AuditRows.anchorLines(anchorFile);
    assertTrue(
        anchors
            .get(anchors.size() - 1)
            .endsWith(
                " count="
                    + (before
                        + 1
                        + server.count(
                            "SELECT count(*) FROM audit_events"
                                + " WHERE id > (SELECT id FROM audit_events WHERE action = 'audit.pruned')"))),
        anchors.toString());
    AuditLog.Verification anchored = KonsilServer.await(audit.verify());
    assertTrue(anchored.intact(), () -> anchored.problems().toString());
    assertEquals(2, anchored.anchorsChecked());

    // nothing more is due
    assertNull(KonsilServer.await(pruning.prune(oldDay.plusDays(1), owner)).throughId());

    // cutting more of the oldest events without a checkpoint of their own is found
    tamper("DELETE FROM audit_events WHERE id = " + (lastOld + 1));
    AuditLog.Verification cut = KonsilServer.await(audit.verify());
    assertFalse(cut.intact());
    assertTrue(
        cut.problems().stream().anyMatch(p -> Long.valueOf(lastOld + 2).equals(p.eventId())),
        () -> cut.problems().toString());

    // the checkpoint cannot be changed without the key: the walk finds it at the checkpoint
    long checkpointId = server.count("SELECT id FROM audit_events WHERE action = 'audit.pruned'");
    tamper(
        "UPDATE audit_events SET details = replace(details, '\"count\":"
            + oldEvents
            + "', '\"count\":"
            + (oldEvents - 1)
            + "') WHERE id = "
            + checkpointId);
    AuditLog.Verification forged = KonsilServer.await(audit.verify());
    assertFalse(forged.intact());
    assertTrue(
        forged.problems().stream()
            .anyMatch(
                p ->
                    Long.valueOf(checkpointId).equals(p.eventId())
                        && p.description().contains("MAC")),
        () -> forged.problems().toString());

    // and a broken trail is not pruned: nothing goes
    server.clock.advance(Duration.ofDays(7 * 366));
    long rows = server.count("SELECT count(*) FROM audit_events");
    Throwable broken = failure(pruning.prune(pruning.latestAllowed(), owner));
    assertTrue(broken.getMessage().contains("broken"), broken.toString());
    assertEquals(rows, server.count("SELECT count(*) FROM audit_events"));
  }

  /** How a future failed (it must fail). */
  static Throwable failure(io.vertx.core.Future<?> future) {
    try {
      future.await(20, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("expected a failure");
  }

  static String text(String sql) {
    DatabaseSettings db = server.database();
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        java.sql.ResultSet rows = c.createStatement().executeQuery(sql)) {
      assertTrue(rows.next(), sql);
      return rows.getString(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Changes rows behind the server's back, with the append-only triggers off. */
  static void tamper(String sql) {
    TestDatabase.execute(
        server.database(),
        "ALTER TABLE audit_events DISABLE TRIGGER USER; "
            + sql
            + "; ALTER TABLE audit_events ENABLE TRIGGER USER");
  }
}
