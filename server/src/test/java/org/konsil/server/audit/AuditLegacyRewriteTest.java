package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.testkit.KonsilProcess;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestDatabase;

/**
 * A keyed chain rewritten entirely as if Konsil had never had the key (plain SHA-256, which anyone
 * with the database can compute) is caught with the anchor file and refused without it.
 */
class AuditLegacyRewriteTest {

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer().with("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", "3600");

  static String verifyAuditCommand() throws Exception {
    Map<String, String> env = new HashMap<>();
    for (String name :
        List.of("KONSIL_DATABASE_URL", "KONSIL_DATABASE_MIGRATION_URL", "KONSIL_DATA_DIR")) {
      env.put(name, server.env(name));
    }
    try (KonsilProcess cli =
        KonsilProcess.start(env, Scratch.folder("konsil-cli"), "verify-audit")) {
      return cli.outputAfterExit(60);
    }
  }

  @Test
  void aChainRewrittenAsUnkeyedFailsWithAndWithoutTheAnchorFile() throws Exception {
    server.login(server.organisation("practice").admin());
    KonsilServer.await(server.wiring().auditAnchors().anchor());
    long keyedFrom = server.count("SELECT min(id) FROM audit_events");
    Path anchorFile = server.dataDir().resolve("audit-anchors");
    List<String> anchors = AuditRows.anchorLines(anchorFile);
    assertTrue(
        anchors.get(0).contains(" keyed-from=" + keyedFrom + " "),
        "every anchor names where the keyed chain starts: " + anchors);
    assertTrue(KonsilServer.await(server.wiring().audit().verify()).intact());

    TestDatabase.execute(
        server.database(),
        "ALTER TABLE audit_events DISABLE TRIGGER USER; UPDATE audit_events SET scheme = 1;"
            + " ALTER TABLE audit_events ENABLE TRIGGER USER");
    // the key given is not used: every row is unkeyed now and chained with plain SHA-256
    AuditRows.resealWith(server.database(), Secrets.randomBytes(32));

    String anchored = verifyAuditCommand();
    assertTrue(anchored.contains("(exit 1)"), anchored);
    assertTrue(anchored.contains("the chain has no keyed event, but the anchor of "), anchored);
    assertTrue(anchored.contains("says it is keyed from event " + keyedFrom), anchored);

    Path away = anchorFile.resolveSibling("audit-anchors.elsewhere");
    Files.move(anchorFile, away);
    try {
      String withoutAnchors = verifyAuditCommand();
      assertTrue(withoutAnchors.contains("(exit 1)"), withoutAnchors);
      assertTrue(
          withoutAnchors.contains("The audit trail is broken in the anchor file: it is missing"),
          withoutAnchors);
      assertFalse(withoutAnchors.contains("is intact"), withoutAnchors);
    } finally {
      Files.move(away, anchorFile);
    }
  }
}
