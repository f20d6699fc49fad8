package org.konsil.server.invitations;

import java.util.Locale;
import org.konsil.server.accounts.Secrets;

/**
 * Registration codes: 130 random bits in Crockford's Base32 (no I, L, O, U), grouped in fours so
 * that a person can type them from a fax. Reading forgives case, spaces, dashes and the letters
 * that look like digits.
 */
final class InvitationCodes {

  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final int LENGTH = 26;

  private InvitationCodes() {}

  static String newCode() {
    byte[] random = Secrets.randomBytes(LENGTH);
    StringBuilder code = new StringBuilder();
    for (int i = 0; i < LENGTH; i++) {
      if (i > 0 && i % 4 == 0) {
        code.append('-');
      }
      code.append(ALPHABET[random[i] & 31]);
    }
    return code.toString();
  }

  /** What is stored of a code, sent or typed: the hash of its canonical form. */
  static byte[] hash(String code) {
    return Secrets.hash(normalise(code));
  }

  /** The canonical form that is hashed: upper case, no separators, look-alikes mapped. */
  static String normalise(String typed) {
    StringBuilder out = new StringBuilder();
    for (char c : typed.toUpperCase(Locale.ROOT).toCharArray()) {
      switch (c) {
        case 'O' -> out.append('0');
        case 'I', 'L' -> out.append('1');
        case ' ', '-', '\t' -> {
          // separators
        }
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
