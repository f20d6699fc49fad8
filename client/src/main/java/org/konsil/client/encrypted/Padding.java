package org.konsil.client.encrypted;

import java.util.Arrays;

/**
 * Padding before encryption, so that the server learns less from sizes: the plaintext, one byte
 * 0x80, then zeros up to the padded length. A message's payload is padded to the next multiple of
 * 160 bytes (as Signal pads its messages), so texts up to about 50 characters look alike; a file is
 * padded to its Padmé length (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
 * Communication with PURBs", 2019), less than 12.5 % more, which leaves O(log log n) bits of its
 * size.
 */
final class Padding {

  static final int MESSAGE_BLOCK = 160;

  private static final byte MARK = (byte) 0x80;

  private Padding() {}

  /** A message's payload padded to the next multiple of {@link #MESSAGE_BLOCK}. */
  static byte[] message(byte[] plain) {
    int padded = (plain.length / MESSAGE_BLOCK + 1) * MESSAGE_BLOCK;
    return pad(plain, padded);
  }

  /** A file padded to the Padmé length of its size plus the mark. */
  static byte[] file(byte[] plain) {
    long padded = padme(plain.length + 1L);
    if (padded > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("The file is too large.");
    }
    return pad(plain, (int) padded);
  }

  /**
   * The plaintext without its padding; a text without the mark after its last non-zero byte is not
   * padded by this scheme and refused.
   */
  static byte[] strip(byte[] padded) {
    int end = padded.length - 1;
    while (end >= 0 && padded[end] == 0) {
      end--;
    }
    if (end < 0 || padded[end] != MARK) {
      throw new IllegalArgumentException("not padded");
    }
    return Arrays.copyOf(padded, end);
  }

  /**
   * Padmé: the length rounded up so that only the top bits after the highest one stay, as many as
   * the bit length of the exponent.
   */
  static long padme(long length) {
    if (length < 2) {
      return length;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(length);
    int exponentBits = 64 - Long.numberOfLeadingZeros(exponent);
    int lowBits = exponent - exponentBits;
    long mask = (1L << lowBits) - 1;
    return (length + mask) & ~mask;
  }

  private static byte[] pad(byte[] plain, int length) {
    byte[] padded = Arrays.copyOf(plain, length);
    padded[plain.length] = MARK;
    return padded;
  }
}
