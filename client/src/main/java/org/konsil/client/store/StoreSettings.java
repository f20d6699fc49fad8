package org.konsil.client.store;

/**
 * Argon2id cost of the key that protects a new local store (an existing store keeps the cost it was
 * made with). The default, 64 MiB and 3 passes, is the second recommendation of RFC 9106.
 */
public record StoreSettings(int memoryKib, int iterations, int parallelism) {

  public static final StoreSettings DEFAULT = new StoreSettings(64 * 1024, 3, 1);

  /** Bounds that a key file read from disk must keep (a forged one must not exhaust memory). */
  static final int MIN_MEMORY_KIB = 1024;

  static final int MAX_MEMORY_KIB = 4 * 1024 * 1024;
  static final int MAX_ITERATIONS = 64;
  static final int MAX_PARALLELISM = 16;

  public StoreSettings {
    if (memoryKib < MIN_MEMORY_KIB || memoryKib > MAX_MEMORY_KIB) {
      throw new IllegalArgumentException(
          "memoryKib must be from " + MIN_MEMORY_KIB + " to " + MAX_MEMORY_KIB);
    }
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be from 1 to " + MAX_ITERATIONS);
    }
    if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
      throw new IllegalArgumentException("parallelism must be from 1 to " + MAX_PARALLELISM);
    }
  }
}
