package org.konsil.client.store;

import java.util.Arrays;

/**
 * A recovery code ("Super-PIN"): 32 characters of base32 (A-Z, 2-7), 160 random bits, written in
 * eight groups of four ({@code ABCD-EFGH-...}). Typing it back, case, spaces and dashes do not
 * matter, and the digits 0, 1 and 8 are read as the letters O, I and B they are easily taken for.
 */
public final class RecoveryCode {

  static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  public static final int LENGTH = 32;

  private final char[] chars;

  private RecoveryCode(char[] chars) {
    this.chars = chars;
  }

  /** A new code from the system's strong random source. */
  public static RecoveryCode generate() {
    byte[] random = new byte[LENGTH];
    Sealing.RANDOM.nextBytes(random);
    char[] chars = new char[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
      chars[i] = ALPHABET.charAt(random[i] & 31);
    }
    Arrays.fill(random, (byte) 0);
    return new RecoveryCode(chars);
  }

  /**
   * The code as typed; {@link IllegalArgumentException} when it is not a recovery code (wrong
   * length or characters outside the alphabet).
   */
  public static RecoveryCode parse(CharSequence typed) {
    StringBuilder clean = new StringBuilder(LENGTH);
    for (int i = 0; i < typed.length(); i++) {
      char c = Character.toUpperCase(typed.charAt(i));
      if (c == ' ' || c == '-' || c == '\t') {
        continue;
      }
      c = c == '0' ? 'O' : c == '1' ? 'I' : c == '8' ? 'B' : c;
      if (ALPHABET.indexOf(c) < 0) {
        throw new IllegalArgumentException(
            "A recovery code has only the letters A to Z and the digits 2 to 7");
      }
      clean.append(c);
    }
    if (clean.length() != LENGTH) {
      throw new IllegalArgumentException(
          "A recovery code has " + LENGTH + " characters, this one " + clean.length());
    }
    char[] chars = new char[LENGTH];
    clean.getChars(0, LENGTH, chars, 0);
    return new RecoveryCode(chars);
  }

  char[] chars() {
    return chars;
  }

  /** The code in groups of four, as the recovery sheet shows it. */
  public String grouped() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < LENGTH; i++) {
      if (i > 0 && i % 4 == 0) {
        out.append('-');
      }
      out.append(chars[i]);
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "RecoveryCode[hidden]";
  }
}
