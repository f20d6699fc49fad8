package org.konsil.client.e2e;

/**
 * The safety number of two devices (libsignal's numeric fingerprint of both identity keys): 60
 * digits that both people see alike and compare out of band (read aloud, or by scanning {@code
 * scannable}). If they match, no one sits between the two devices.
 */
public record SafetyNumber(String digits, byte[] scannable) {

  /** The digits in twelve groups of five, as people read them. */
  public String grouped() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < digits.length(); i += 5) {
      if (i > 0) {
        text.append(i % 20 == 0 ? "\n" : " ");
      }
      text.append(digits, i, Math.min(i + 5, digits.length()));
    }
    return text.toString();
  }
}
