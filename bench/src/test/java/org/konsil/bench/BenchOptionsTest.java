package org.konsil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The benchmark's command line: presets, overrides, and wrong input refused with the usage. */
class BenchOptionsTest {

  @Test
  void presetsAndOverrides() {
    BenchOptions small = BenchOptions.parse(new String[0]);
    assertEquals(100, small.rooms());
    assertEquals(10, small.members());
    assertEquals(0, small.idle());
    assertTrue(small.ceilings());
    BenchOptions large =
        BenchOptions.parse(new String[] {"--preset", "large", "--idle", "18000", "--no-ceilings"});
    assertEquals(18000, large.idle());
    assertFalse(large.ceilings());
    BenchOptions external =
        BenchOptions.parse(
            new String[] {
              "--url", "http://127.0.0.1:8080", "--database-url", "postgresql://p@127.0.0.1/k"
            });
    assertFalse(external.ceilings(), "the ceilings need a Konsil the benchmark starts");
  }

  @Test
  void wrongInputIsRefusedWithAReason() {
    String[][] wrong = {
      {"--preset", "huge"},
      {"--runs", "0"},
      {"--seconds"},
      {"--nodes", "3"},
      {"--members", "1"},
      {"--frobnicate"},
      {"--url", "http://127.0.0.1:8080"},
      {"--url", "http://konsil.example.org", "--database-url", "postgresql://p@db/k"},
    };
    for (String[] args : wrong) {
      IllegalArgumentException refused =
          assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(args));
      assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), args[0]);
    }
  }
}
