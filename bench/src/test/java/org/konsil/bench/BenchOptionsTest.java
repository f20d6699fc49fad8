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
    assertEquals(1000, small.senders(), "every member sends in the closed loop by default");
    assertEquals(250, BenchOptions.parse(new String[] {"--senders", "250"}).senders());
    assertEquals(
        40,
        BenchOptions.parse(new String[] {"--rooms", "4", "--members", "10", "--senders", "40"})
            .senders());
  }

  @Test
  void sendersAreSpreadEvenlyOverTheMembers() {
    for (int[] c : new int[][] {{1000, 1000}, {1000, 250}, {1000, 333}, {10, 1}, {7, 3}}) {
      int members = c[0];
      int senders = c[1];
      int chosen = 0;
      int[] perTenth = new int[10];
      for (int index = 0; index < members; index++) {
        if (Load.sends(index, senders, members)) {
          chosen++;
          perTenth[index * 10 / members]++;
        }
      }
      assertEquals(senders, chosen, members + " members, " + senders + " senders");
      if (members == 1000) {
        for (int tenth : perTenth) {
          assertTrue(Math.abs(tenth - senders / 10) <= 1, "spread: " + senders + " in tenths");
        }
      }
    }
  }

  @Test
  void wrongInputIsRefusedWithAReason() {
    String[][] wrong = {
      {"--preset", "huge"},
      {"--runs", "0"},
      {"--seconds"},
      {"--nodes", "3"},
      {"--members", "1"},
      {"--senders", "0"},
      {"--senders", "1001"},
      {"--rooms", "4", "--members", "10", "--senders", "41"},
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
