package org.konsil.server.accounts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed logins per network address in a sliding window and refuses an address that failed
 * too often. The per-account lock lives in the database; this one is per node, which is enough to
 * stop a guessing script without letting it lock out a whole ward behind one address for long.
 */
public final class LoginThrottle {

  private static final int MAX_TRACKED_ADDRESSES = 100_000;

  private final Clock clock;
  private final int maxFailures;
  private final Duration window;
  private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

  public LoginThrottle(Clock clock, int maxFailures, Duration window) {
    this.clock = clock;
    this.maxFailures = maxFailures;
    this.window = window;
  }

  /** Seconds until the address may try again, or 0 when it may try now. */
  public long retryAfterSeconds(String address) {
    Deque<Instant> recent = failures.get(address);
    if (recent == null) {
      return 0;
    }
    synchronized (recent) {
      prune(recent);
      if (recent.size() < maxFailures) {
        return 0;
      }
      Instant oldest = recent.peekFirst();
      return Math.max(1, Duration.between(clock.instant(), oldest.plus(window)).toSeconds());
    }
  }

  /** Counts a failure; answers the failures in the window, this one included. */
  public int recordFailure(String address) {
    if (failures.size() >= MAX_TRACKED_ADDRESSES) {
      failures.entrySet().removeIf(entry -> isStale(entry.getValue()));
      if (failures.size() >= MAX_TRACKED_ADDRESSES) {
        // Bounded memory comes first; the per-account locks in the database still hold.
        failures.clear();
      }
    }
    Deque<Instant> recent = failures.computeIfAbsent(address, key -> new ArrayDeque<>());
    synchronized (recent) {
      prune(recent);
      recent.addLast(clock.instant());
      return recent.size();
    }
  }

  private boolean isStale(Deque<Instant> recent) {
    synchronized (recent) {
      prune(recent);
      return recent.isEmpty();
    }
  }

  private void prune(Deque<Instant> recent) {
    Instant cutoff = clock.instant().minus(window);
    while (!recent.isEmpty() && !recent.peekFirst().isAfter(cutoff)) {
      recent.removeFirst();
    }
  }
}
