package org.konsil.server.http;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** Timestamps as the database stores them, taken from the one injected clock. */
public final class Times {

  private Times() {}

  /** Now, truncated to what PostgreSQL keeps (microseconds), in UTC. */
  public static OffsetDateTime now(Clock clock) {
    return at(clock.instant());
  }

  public static OffsetDateTime at(Instant instant) {
    return OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }

  public static String iso(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }
}
