package org.konsil.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.konsil.db.EmbeddedDatabase;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.organisations.CreateOrganisationRequest;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Scratch;

/**
 * With nothing configured, Konsil keeps its data in an embedded PostgreSQL under the data folder.
 */
class EmbeddedDatabaseTest {

  @Test
  void dataSurvivesARestartAndASecondProcessIsRefused() throws Exception {
    Path data = Scratch.folder("konsil-embedded");
    KonsilConfig config =
        KonsilConfig.from(
            Map.of(
                "KONSIL_DATA_DIR", data.toString(),
                "KONSIL_HTTP_PORT", "0",
                "KONSIL_ARGON2_MEMORY_KIB", "1024",
                "KONSIL_ARGON2_ITERATIONS", "1"));
    try (KonsilNode first = KonsilNode.start(config, Clock.systemUTC())) {
      KonsilServer.await(
          first
              .wiring()
              .organisations()
              .createWithAdmin(
                  new CreateOrganisationRequest(
                      "pharmacy",
                      "Apotheke am Dom",
                      null,
                      null,
                      null,
                      null,
                      null,
                      "dom@apotheke.test",
                      "Dom")));
      assertTrue(Files.exists(data.resolve("postgres").resolve("pgdata").resolve("PG_VERSION")));
      assertTrue(Files.exists(data.resolve("token-secret")));
      IllegalStateException busy =
          assertThrows(
              IllegalStateException.class,
              () -> EmbeddedDatabase.start(data.resolve("postgres"), 0));
      assertTrue(busy.getMessage().contains("another Konsil process"));
    }
    try (KonsilNode second = KonsilNode.start(config, Clock.systemUTC())) {
      var found =
          KonsilServer.await(
              second.wiring().organisations().directory("Apotheke am Dom", null, 10));
      assertEquals(1, found.size());
    }
  }
}
