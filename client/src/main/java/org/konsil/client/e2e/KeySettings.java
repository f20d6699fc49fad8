package org.konsil.client.e2e;

import java.time.Duration;

/**
 * How a device keeps its keys: {@code batch} one-time prekeys of each kind per upload (the
 * directory takes at most 100), a new batch once the directory holds fewer than {@code lowWater},
 * one-time prekeys of earlier batches kept for {@code keepUnused} (for messages already on their
 * way; at most four batches), new signed prekeys once the current ones are {@code rotateAfter} old,
 * and the newest {@code signedKeysKept} signed prekeys of each kind.
 */
public record KeySettings(
    int batch, int lowWater, Duration keepUnused, Duration rotateAfter, int signedKeysKept) {

  public static final KeySettings DEFAULT =
      new KeySettings(100, 10, Duration.ofDays(30), Duration.ofDays(7), 3);

  public KeySettings {
    if (batch < 1 || batch > 100) {
      throw new IllegalArgumentException("batch must be from 1 to 100");
    }
    if (lowWater < 0 || lowWater > batch) {
      throw new IllegalArgumentException("lowWater must be from 0 to batch");
    }
    if (keepUnused.isNegative() || rotateAfter.isNegative() || rotateAfter.isZero()) {
      throw new IllegalArgumentException("keepUnused and rotateAfter must be positive");
    }
    if (signedKeysKept < 1) {
      throw new IllegalArgumentException("signedKeysKept must be at least 1");
    }
  }
}
