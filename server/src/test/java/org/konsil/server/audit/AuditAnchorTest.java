package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.Waiting;

/** The head of the audit chain is anchored outside the database by a timer. */
class AuditAnchorTest {

  /** Somewhere else than the data folder, as an operator points it at a write-once share. */
  static final Path anchorFile = temporaryFolder().resolve("share").resolve("konsil-anchors");

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", "1")
          .with("KONSIL_AUDIT_ANCHOR_FILE", anchorFile.toString());

  static Path temporaryFolder() {
    try {
      return Scratch.folder("konsil-anchors");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> anchors() {
    try {
      return Files.exists(anchorFile) ? AuditRows.anchorLines(anchorFile) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String last() {
    List<String> lines = anchors();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  @Test
  void theHeadIsAnchoredByTheTimerOnceItChanged() throws Exception {
    server.login(server.organisation("practice").admin());
    long head = server.count("SELECT max(id) FROM audit_events");
    Waiting.until(
        () -> last().contains(" event=" + head + " "), "an anchor names the newest event " + head);

    String line = last();
    assertTrue(line.startsWith(server.clock.instant() + " event="), "the injected clock: " + line);
    assertTrue(line.endsWith(" count=" + server.count("SELECT count(*) FROM audit_events")), line);
    assertEquals(
        PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(anchorFile));
    int lines = anchors().size();
    KonsilServer.await(server.wiring().auditAnchors().anchor());
    assertEquals(lines, anchors().size(), "an unchanged head is not anchored again");

    AuditLog.Verification result = KonsilServer.await(server.wiring().audit().verify());
    assertTrue(result.intact(), () -> result.problems().toString());
    assertEquals(lines, result.anchorsChecked());
  }
}
