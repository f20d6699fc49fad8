package org.konsil.client.encrypted;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PaddingTest {

  @Test
  void messagesArePaddedToBlocksOf160AndComeBackExactly() {
    for (int length : new int[] {0, 1, 100, 158, 159, 160, 161, 319, 320, 5_000}) {
      byte[] plain = new byte[length];
      Arrays.fill(plain, (byte) 'a');
      if (length > 2) {
        // a plaintext that ends in zero bytes keeps them
        plain[length - 1] = 0;
        plain[length - 2] = 0;
      }
      byte[] padded = Padding.message(plain);
      assertEquals(0, padded.length % Padding.MESSAGE_BLOCK, "length " + length);
      assertTrue(padded.length > length);
      assertTrue(padded.length <= length + Padding.MESSAGE_BLOCK);
      assertArrayEquals(plain, Padding.strip(padded), "length " + length);
    }
    assertEquals(Padding.message(new byte[2]).length, Padding.message(new byte[150]).length);
  }

  @Test
  void filesArePaddedToTheirPadmeLengthLessThanAnEighthMore() {
    assertEquals(1024, Padding.padme(1001));
    assertEquals(1024, Padding.padme(1000));
    assertEquals(144, Padding.padme(129));
    assertEquals(5, Padding.padme(5));
    for (int length = 0; length < 70_000; length += 7) {
      byte[] plain = new byte[length];
      byte[] padded = Padding.file(plain);
      assertTrue(padded.length > length);
      assertTrue(padded.length < (length + 1) * 1.125 + 1, "length " + length);
      assertArrayEquals(plain, Padding.strip(padded));
    }
    // sizes close together look alike
    assertEquals(
        Padding.file(new byte[1_000_000]).length, Padding.file(new byte[1_010_000]).length);
  }

  @Test
  void somethingNotPaddedThisWayIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Padding.strip(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> Padding.strip(new byte[160]));
    assertThrows(
        IllegalArgumentException.class,
        () -> Padding.strip("{\"v\":1}".getBytes(StandardCharsets.UTF_8)));
  }
}
