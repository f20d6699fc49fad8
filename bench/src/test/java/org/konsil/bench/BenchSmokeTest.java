package org.konsil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The benchmark itself, on a tiny workload against the freshly built konsil.jar: it starts
 * everything, loses and duplicates nothing, and writes both reports. Its figures mean nothing here;
 * speed is measured by running the benchmark, never in the tests.
 */
class BenchSmokeTest {

  @Test
  void aTinyRunStoresAndDeliversEveryMessageOnceAndWritesTheReports() throws Exception {
    Path out = Files.createTempDirectory("konsil-bench-report");
    JsonObject report =
        Bench.run(
            BenchOptions.parse(
                new String[] {
                  "--rooms",
                  "3",
                  "--members",
                  "3",
                  "--runs",
                  "1",
                  "--seconds",
                  "3",
                  "--rate",
                  "30",
                  "--no-ceilings",
                  "--server-jar",
                  Path.of("..", "server", "target", "konsil.jar").toString(),
                  "--out",
                  out.toString()
                }));
    JsonObject medians = report.getJsonObject("medians");
    for (String phase : new String[] {"open", "closed"}) {
      JsonObject figures = medians.getJsonObject(phase);
      assertEquals(0.0, figures.getDouble("lost"), phase);
      assertEquals(0.0, figures.getDouble("duplicated"), phase);
      assertTrue(figures.getDouble("ackedPerSecond") > 0, phase);
      // the database's processes are found and measured (they write every message)
      assertTrue(figures.getDouble("cpuDatabaseSeconds") > 0, phase);
      // every message reaches the two other members of its room
      assertEquals(
          2 * figures.getDouble("ackedPerSecond"),
          figures.getDouble("deliveredPerSecond"),
          0.05 * figures.getDouble("deliveredPerSecond") + 10,
          phase);
    }
    assertEquals(9.0, medians.getDouble("connections"));
    // the settings the figures ran on, as the running database reported them
    assertEquals("on", report.getJsonObject("database").getString("fsync"));
    assertEquals("on", report.getJsonObject("database").getString("synchronousCommit"));
    assertTrue(
        Files.readString(out.resolve("small-1node.md"))
            .contains("fsync=on, synchronous_commit=on"));
    assertTrue(Files.readString(out.resolve("small-1node.md")).contains("closed loop"));
    assertTrue(Files.size(out.resolve("small-1node.json")) > 0);
  }
}
