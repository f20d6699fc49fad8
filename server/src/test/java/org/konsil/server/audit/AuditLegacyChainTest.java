package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.http.Times;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.TestDatabase;

/**
 * A chain begun by a Konsil without the audit key: keyed from a genesis event on, which seals it.
 */
class AuditLegacyChainTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static AuditLog.Verification verify() {
    return KonsilServer.await(server.wiring().audit().verify());
  }

  @Test
  void unkeyedRowsFromBeforeAreSealedByTheGenesisEvent() throws Exception {
    assertEquals(0, server.count("SELECT count(*) FROM audit_events"));
    AuditRows.appendLegacy(
        server.database(),
        Times.now(server.clock),
        List.of("login", "patient.created", "room.created"));
    long lastUnkeyed = server.count("SELECT max(id) FROM audit_events");

    server.login(server.organisation("practice").admin());
    KonsilServer.await(server.wiring().auditAnchors().anchor());
    long genesis = lastUnkeyed + 1;
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE id = "
                + genesis
                + " AND scheme = 2 AND action = 'audit.chain_keyed'"
                + " AND details = '{\"legacyEvents\":3}'"),
        "the first keyed row says that the chain is keyed from here, after 3 unkeyed events");
    AuditLog.Verification intact = verify();
    assertTrue(intact.intact(), () -> intact.problems().toString());
    assertEquals(3, intact.legacyEvents());
    assertEquals(genesis, intact.keyedFromId());

    // anyone can compute plain SHA-256: edit an unkeyed row and chain the unkeyed rows again
    TestDatabase.execute(
        server.database(),
        "ALTER TABLE audit_events DISABLE TRIGGER USER;"
            + " UPDATE audit_events SET outcome = 'denied' WHERE id = "
            + (lastUnkeyed - 1)
            + "; ALTER TABLE audit_events ENABLE TRIGGER USER");
    AuditRows.reseal(server.database(), lastUnkeyed - 1, lastUnkeyed, Secrets.randomBytes(32));

    AuditLog.Verification broken = verify();
    assertEquals(1, broken.problemCount(), () -> broken.problems().toString());
    assertEquals(genesis, broken.firstBrokenId(), "the keyed genesis event no longer fits");
    assertTrue(
        broken.problems().get(0).description().contains("it does not follow event " + lastUnkeyed),
        () -> broken.problems().toString());
  }
}
