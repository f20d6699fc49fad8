package org.konsil.server.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The identifiers that organisations see for their audit events: the global id encrypted in one AES
 * block under a key derived from the audit key, so that nobody reading their own trail learns how
 * many events other organisations wrote in between, or whether a probe wrote a second event into
 * another organisation's trail. Only verify-audit speaks of the global ids.
 */
final class AuditRefs {

  /** The second half of every block: a reference that decrypts to anything else is made up. */
  private static final byte[] CHECK = "konsil-a".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] DERIVATION =
      "konsil-audit-event-reference-v1".getBytes(StandardCharsets.US_ASCII);

  private final SecretKeySpec key;

  AuditRefs(byte[] auditKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(auditKey, "HmacSHA256"));
      this.key = new SecretKeySpec(mac.doFinal(DERIVATION), "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
    }
  }

  /** 32 hex digits that stand for the event with this id. */
  String of(long id) {
    byte[] block = ByteBuffer.allocate(16).putLong(id).put(CHECK).array();
    return HexFormat.of().formatHex(cipher(Cipher.ENCRYPT_MODE).update(block));
  }

  /** The id behind a reference made by {@link #of}, or nothing if it is not one. */
  Optional<Long> idOf(String reference) {
    if (reference == null || reference.length() != 32) {
      return Optional.empty();
    }
    byte[] block;
    try {
      block = HexFormat.of().parseHex(reference);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    byte[] plain = cipher(Cipher.DECRYPT_MODE).update(block);
    if (!MessageDigest.isEqual(CHECK, Arrays.copyOfRange(plain, 8, 16))) {
      return Optional.empty();
    }
    return Optional.of(ByteBuffer.wrap(plain).getLong());
  }

  private Cipher cipher(int mode) {
    try {
      // one block, one id: no two events share a plaintext, so a bare block cipher is enough
      Cipher cipher = Cipher.getInstance("AES/ECB/NoPadding");
      cipher.init(mode, key);
      return cipher;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES is part of every JRE", e);
    }
  }
}
