package org.konsil.server.accounts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed logins per network address in a sliding window and refuses an address that failed
 * too often. The per-account lock lives in the database; this one is per node, which is enough to
 * stop a guessing script without letting it lock out a whole ward behind one address for long.
 *
 * <p>An attempt takes its place in the count when it begins, not when it has failed: otherwise many
 * attempts sent at once would all pass the check before the first failure is counted.
 */
public final class LoginThrottle {

  private static final int MAX_TRACKED_ADDRESSES = 100_000;

  /** Failures in the window and attempts under way, each with the time it was counted. */
  private static final class Counts {
    final Deque<Instant> failures = new ArrayDeque<>();
    final Deque<Instant> running = new ArrayDeque<>();

    int size() {
      return failures.size() + running.size();
    }
  }

  private final Clock clock;
  private final int maxFailures;
  private final Duration window;
  private final Map<String, Counts> counts = new ConcurrentHashMap<>();

  public LoginThrottle(Clock clock, int maxFailures, Duration window) {
    this.clock = clock;
    this.maxFailures = maxFailures;
    this.window = window;
  }

  /**
   * Admits an attempt from the address, counted as running until {@link #end}. Answers 0 when it is
   * admitted, else the seconds until the address may try again (nothing is counted then).
   */
  public long begin(String address) {
    if (counts.size() >= MAX_TRACKED_ADDRESSES) {
      counts.entrySet().removeIf(entry -> isStale(entry.getValue()));
      if (counts.size() >= MAX_TRACKED_ADDRESSES) {
        // Bounded memory comes first; the per-account locks in the database still hold.
        counts.clear();
      }
    }
    Counts recent = counts.computeIfAbsent(address, key -> new Counts());
    synchronized (recent) {
      prune(recent);
      if (recent.size() < maxFailures) {
        recent.running.addLast(clock.instant());
        return 0;
      }
      Instant oldest = recent.failures.isEmpty() ? null : recent.failures.peekFirst();
      if (!recent.running.isEmpty()
          && (oldest == null || recent.running.peekFirst().isBefore(oldest))) {
        oldest = recent.running.peekFirst();
      }
      return Math.max(1, Duration.between(clock.instant(), oldest.plus(window)).toSeconds());
    }
  }

  /** Ends an admitted attempt: a failure stays counted for the window, a success is forgotten. */
  public void end(String address, boolean failed) {
    Counts recent = counts.get(address);
    if (recent == null) {
      // forgotten to bound memory; a failure is counted anew
      recent = counts.computeIfAbsent(address, key -> new Counts());
    }
    synchronized (recent) {
      recent.running.pollFirst();
      if (failed) {
        recent.failures.addLast(clock.instant());
      }
    }
  }

  private boolean isStale(Counts recent) {
    synchronized (recent) {
      prune(recent);
      return recent.size() == 0;
    }
  }

  /** Attempts that never ended (none should) leave the count after the window, like failures. */
  private void prune(Counts recent) {
    Instant cutoff = clock.instant().minus(window);
    for (Deque<Instant> times : List.of(recent.failures, recent.running)) {
      while (!times.isEmpty() && !times.peekFirst().isAfter(cutoff)) {
        times.removeFirst();
      }
    }
  }
}
