package org.konsil.server.accounts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed logins for e-mail addresses that have no account, counted and locked exactly as the
 * database does it for real accounts (the failure that reaches the limit locks for the lock
 * duration and starts the count again), so that neither the answer nor its timing tells which
 * addresses have accounts. Kept per node, in memory.
 */
public final class UnknownAccountLocks {

  private static final int MAX_TRACKED = 100_000;

  private record State(int failures, Instant lockedUntil) {}

  private final Clock clock;
  private final int maxFailures;
  private final Duration lockDuration;
  private final Map<String, State> states = new ConcurrentHashMap<>();

  public UnknownAccountLocks(Clock clock, int maxFailures, Duration lockDuration) {
    this.clock = clock;
    this.maxFailures = maxFailures;
    this.lockDuration = lockDuration;
  }

  /** Seconds the address stays locked, or 0. */
  public long retryAfterSeconds(String email) {
    State state = states.get(email);
    if (state == null || state.lockedUntil() == null) {
      return 0;
    }
    Duration left = Duration.between(clock.instant(), state.lockedUntil());
    return left.isNegative() || left.isZero() ? 0 : Math.max(1, left.toSeconds());
  }

  /**
   * Counts a failure unless the address is locked; answers the failures counted, the one that
   * locked included, or 0 when it was locked and nothing was counted. Checked and counted in one
   * step, so that failures sent at once stop at the limit as they do in the database.
   */
  public int recordFailure(String email) {
    if (states.size() >= MAX_TRACKED) {
      states
          .values()
          .removeIf(
              state ->
                  state.lockedUntil() == null || !state.lockedUntil().isAfter(clock.instant()));
      if (states.size() >= MAX_TRACKED) {
        // Memory matters more than locking made-up addresses; the per-address limit still holds.
        states.clear();
      }
    }
    int[] counted = {0};
    states.compute(
        email,
        (key, state) -> {
          Instant now = clock.instant();
          if (state != null && state.lockedUntil() != null && state.lockedUntil().isAfter(now)) {
            return state;
          }
          int failures = state == null ? 1 : state.failures() + 1;
          counted[0] = failures;
          return failures >= maxFailures
              ? new State(0, now.plus(lockDuration))
              : new State(failures, state == null ? null : state.lockedUntil());
        });
    return counted[0];
  }
}
