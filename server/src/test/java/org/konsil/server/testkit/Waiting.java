package org.konsil.server.testkit;

import java.util.function.BooleanSupplier;

/**
 * Waits for something that happens asynchronously (a mail, a fax, a file removed), with a limit.
 */
public final class Waiting {

  private static final long LIMIT_MILLIS = 15_000;

  private Waiting() {}

  /** Returns once the condition holds; fails the test with the message after the limit. */
  public static void until(BooleanSupplier condition, String message) {
    long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("waited " + LIMIT_MILLIS / 1000 + " s in vain: " + message);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
