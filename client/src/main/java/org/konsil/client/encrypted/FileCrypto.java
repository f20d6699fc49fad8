package org.konsil.client.encrypted;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Files for encrypted rooms: AES-256-GCM under a fresh random key per file, a random 96-bit nonce
 * before the ciphertext, a 128-bit tag after it, and a fixed associated text that marks the format;
 * the plaintext is padded to its Padmé length first, so the ciphertext's size hides the exact size.
 */
final class FileCrypto {

  private static final SecureRandom RANDOM = new SecureRandom();

  /** v2: the plaintext is padded ({@link Padding#file}) before it is sealed. */
  private static final byte[] FORMAT = "konsil-file-v2".getBytes(StandardCharsets.US_ASCII);

  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;

  private FileCrypto() {}

  /** A sealed file and its key. */
  record Sealed(byte[] key, byte[] bytes, String sha256) {}

  static Sealed seal(byte[] plain) {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(FORMAT);
      byte[] sealed = cipher.doFinal(Padding.file(plain));
      return new Sealed(
          key,
          ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array(),
          sha256(plain));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available", e);
    }
  }

  /**
   * Opens a downloaded file with the key from the message and checks the plaintext's digest; a
   * ciphertext that was altered, or belongs to another key, or a digest that does not match is
   * refused with {@link FileRefusedException}.
   */
  static byte[] open(EncryptedFile file, byte[] bytes) {
    if (bytes.length < NONCE + TAG_BITS / 8) {
      throw new FileRefusedException(file.attachmentId(), "the file is cut off");
    }
    byte[] plain;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(file.key(), "AES"),
          new GCMParameterSpec(TAG_BITS, Arrays.copyOf(bytes, NONCE)));
      cipher.updateAAD(FORMAT);
      plain = Padding.strip(cipher.doFinal(bytes, NONCE, bytes.length - NONCE));
    } catch (IllegalArgumentException e) {
      throw new FileRefusedException(file.attachmentId(), "the file is not padded as it should be");
    } catch (javax.crypto.AEADBadTagException e) {
      throw new FileRefusedException(
          file.attachmentId(), "the file was altered or does not belong to this message");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available", e);
    }
    if (!MessageDigest.isEqual(
        sha256(plain).getBytes(StandardCharsets.US_ASCII),
        file.sha256().getBytes(StandardCharsets.US_ASCII))) {
      throw new FileRefusedException(
          file.attachmentId(), "the file's digest is not the one the message names");
    }
    if (plain.length != file.size()) {
      throw new FileRefusedException(
          file.attachmentId(), "the file's size is not the one the message names");
    }
    return plain;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
