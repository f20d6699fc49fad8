package org.konsil.server.delivery;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The file of a delivery is sealed with AES-256-GCM under a key that only the link secret together
 * with the verification value yields: Argon2id over both (so each guess of the value costs memory
 * and time), then HKDF-SHA256 bound to the delivery's id. The server keeps the salt, the nonce and
 * the Argon2 cost; never the secret, never the value, never the key. A wrong value (or secret)
 * fails the GCM tag: that is the check, there is no other verifier to attack.
 */
final class DeliveryCrypto {

  /** The cost of deriving one key; kept with each delivery so that a later change breaks none. */
  record Cost(int memoryKib, int iterations) {}

  static final int SALT_BYTES = 16;
  static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] INFO = "konsil secure delivery v1".getBytes(StandardCharsets.UTF_8);

  private DeliveryCrypto() {}

  /** The AES-256 key for the delivery, from the secret of its link and the verification value. */
  static byte[] key(UUID delivery, String linkSecret, String value, byte[] salt, Cost cost) {
    byte[] secret = linkSecret.getBytes(StandardCharsets.UTF_8);
    byte[] checked = value.getBytes(StandardCharsets.UTF_8);
    // length-prefixed so that no (secret, value) pair reads as another
    byte[] password =
        ByteBuffer.allocate(8 + secret.length + checked.length)
            .putInt(secret.length)
            .put(secret)
            .putInt(checked.length)
            .put(checked)
            .array();
    Argon2BytesGenerator argon2 = new Argon2BytesGenerator();
    argon2.init(
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withSalt(salt)
            .withMemoryAsKB(cost.memoryKib())
            .withIterations(cost.iterations())
            .withParallelism(1)
            .build());
    byte[] stretched = new byte[32];
    argon2.generateBytes(password, stretched);
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(stretched, salt, info(delivery)));
    byte[] key = new byte[32];
    hkdf.generateBytes(key, 0, key.length);
    return key;
  }

  static byte[] seal(UUID delivery, byte[] key, byte[] nonce, byte[] plain) {
    try {
      return cipher(Cipher.ENCRYPT_MODE, delivery, key, nonce).doFinal(plain);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every JRE", e);
    }
  }

  /** The file, or null when the key is not the one it was sealed with. */
  static byte[] open(UUID delivery, byte[] key, byte[] nonce, byte[] sealed) {
    try {
      return cipher(Cipher.DECRYPT_MODE, delivery, key, nonce).doFinal(sealed);
    } catch (AEADBadTagException wrongKey) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every JRE", e);
    }
  }

  private static Cipher cipher(int mode, UUID delivery, byte[] key, byte[] nonce)
      throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(info(delivery));
    return cipher;
  }

  private static byte[] info(UUID delivery) {
    byte[] id = delivery.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] info = new byte[INFO.length + 1 + id.length];
    System.arraycopy(INFO, 0, info, 0, INFO.length);
    System.arraycopy(id, 0, info, INFO.length + 1, id.length);
    return info;
  }
}
