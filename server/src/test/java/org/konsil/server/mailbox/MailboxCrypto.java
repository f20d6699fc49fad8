package org.konsil.server.mailbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * The mailbox scheme of docs/patient-mailbox.md written a second time, with BouncyCastle: the
 * tests' stand-in for the browser, and the check that the browser's WebCrypto code meets it.
 */
public final class MailboxCrypto {

  static final SecureRandom RANDOM = new SecureRandom();
  static final int ITERATIONS = 600_000;

  private MailboxCrypto() {}

  /** What a password gives: the login secret (sent) and the wrapping key (kept). */
  public record Derived(byte[] loginSecret, byte[] wrappingKey) {}

  /** A key pair set: X25519 and (for patients and the practice) Ed25519, raw 32-byte values. */
  public record Keys(byte[] xPrivate, byte[] xPublic, byte[] edPrivate, byte[] edPublic) {

    static Keys generate() {
      X25519PrivateKeyParameters x = new X25519PrivateKeyParameters(RANDOM);
      Ed25519PrivateKeyParameters ed = new Ed25519PrivateKeyParameters(RANDOM);
      return new Keys(
          x.getEncoded(),
          x.generatePublicKey().getEncoded(),
          ed.getEncoded(),
          ed.generatePublicKey().getEncoded());
    }

    /** From the 64 bytes {@code x25519Private || ed25519Private}. */
    static Keys fromPrivate(byte[] both) {
      X25519PrivateKeyParameters x = new X25519PrivateKeyParameters(both, 0);
      Ed25519PrivateKeyParameters ed = new Ed25519PrivateKeyParameters(both, 32);
      return new Keys(
          x.getEncoded(),
          x.generatePublicKey().getEncoded(),
          ed.getEncoded(),
          ed.generatePublicKey().getEncoded());
    }

    byte[] privateBytes() {
      return concat(xPrivate, edPrivate);
    }
  }

  /** Derivations already made: PBKDF2 with 600,000 rounds is slow by design, tests repeat them. */
  private static final java.util.Map<String, Derived> DERIVED =
      new java.util.concurrent.ConcurrentHashMap<>();

  public static Derived derive(String password, byte[] salt, int iterations) {
    return DERIVED.computeIfAbsent(
        password + "|" + HexFormat.of().formatHex(salt) + "|" + iterations,
        key -> deriveNow(password, salt, iterations));
  }

  private static Derived deriveNow(String password, byte[] salt, int iterations) {
    PKCS5S2ParametersGenerator pbkdf2 = new PKCS5S2ParametersGenerator(new SHA256Digest());
    pbkdf2.init(password.getBytes(StandardCharsets.UTF_8), salt, iterations);
    byte[] master = ((KeyParameter) pbkdf2.generateDerivedParameters(256)).getKey();
    return new Derived(
        hkdf(master, new byte[0], "konsil-mailbox-v1 login"),
        hkdf(master, new byte[0], "konsil-mailbox-v1 wrap"));
  }

  /** A recovery code: 26 characters of Crockford's base32 (130 bits), in groups of four or two. */
  static String newRecoveryCode() {
    String alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    StringBuilder code = new StringBuilder();
    for (int i = 0; i < 26; i++) {
      if (i > 0 && i % 4 == 0) {
        code.append('-');
      }
      code.append(alphabet.charAt(RANDOM.nextInt(32)));
    }
    return code.toString();
  }

  /** The secret the server checks (sent) and the key that wraps the private keys (kept). */
  static Derived deriveRecovery(String code) {
    byte[] normalized =
        code.toUpperCase(java.util.Locale.ROOT)
            .replaceAll("[^0-9A-Z]", "")
            .getBytes(StandardCharsets.US_ASCII);
    return new Derived(
        hkdf(normalized, new byte[0], "konsil-mailbox-v1 recovery login"),
        hkdf(normalized, new byte[0], "konsil-mailbox-v1 recovery wrap"));
  }

  static byte[] wrapForRecovery(byte[] key, byte[] privateKeys) {
    return encrypt(key, privateKeys, "konsil-mailbox-v1 recovery keys");
  }

  static byte[] unwrapForRecovery(byte[] key, byte[] wrapped) {
    return decrypt(key, wrapped, "konsil-mailbox-v1 recovery keys");
  }

  static byte[] hkdf(byte[] ikm, byte[] salt, String info) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, salt, info.getBytes(StandardCharsets.UTF_8)));
    byte[] out = new byte[32];
    hkdf.generateBytes(out, 0, 32);
    return out;
  }

  /** {@code iv || AES-256-GCM(key, iv, plaintext, aad)}. */
  static byte[] encrypt(byte[] key, byte[] plaintext, String aad) {
    byte[] iv = new byte[12];
    RANDOM.nextBytes(iv);
    return concat(iv, gcm(true, key, iv, plaintext, aad));
  }

  static byte[] decrypt(byte[] key, byte[] ivAndCiphertext, String aad) {
    byte[] iv = Arrays.copyOf(ivAndCiphertext, 12);
    return gcm(
        false, key, iv, Arrays.copyOfRange(ivAndCiphertext, 12, ivAndCiphertext.length), aad);
  }

  private static byte[] gcm(boolean encrypt, byte[] key, byte[] iv, byte[] input, String aad) {
    try {
      GCMBlockCipher cipher = (GCMBlockCipher) GCMBlockCipher.newInstance(AESEngine.newInstance());
      cipher.init(
          encrypt,
          new AEADParameters(new KeyParameter(key), 128, iv, aad.getBytes(StandardCharsets.UTF_8)));
      byte[] out = new byte[cipher.getOutputSize(input.length)];
      int length = cipher.processBytes(input, 0, input.length, out, 0);
      length += cipher.doFinal(out, length);
      return Arrays.copyOf(out, length);
    } catch (org.bouncycastle.crypto.InvalidCipherTextException e) {
      throw new IllegalStateException("does not open: " + e.getMessage(), e);
    }
  }

  static byte[] wrapKeys(byte[] wrappingKey, byte[] privateKeys) {
    return encrypt(wrappingKey, privateKeys, "konsil-mailbox-v1 keys");
  }

  static byte[] unwrapKeys(byte[] wrappingKey, byte[] wrapped) {
    return decrypt(wrappingKey, wrapped, "konsil-mailbox-v1 keys");
  }

  /** {@code e.public || iv || AES-256-GCM(HKDF(X25519(e, recipient)), plaintext)}. */
  static byte[] seal(byte[] recipientPublic, byte[] plaintext, String label) {
    X25519PrivateKeyParameters e = new X25519PrivateKeyParameters(RANDOM);
    byte[] ePublic = e.generatePublicKey().getEncoded();
    byte[] shared = new byte[32];
    e.generateSecret(new X25519PublicKeyParameters(recipientPublic, 0), shared, 0);
    byte[] key = hkdf(shared, concat(ePublic, recipientPublic), "konsil-mailbox-v1 seal " + label);
    return concat(ePublic, encrypt(key, plaintext, label));
  }

  static byte[] open(byte[] recipientPrivate, byte[] sealed, String label) {
    X25519PrivateKeyParameters own = new X25519PrivateKeyParameters(recipientPrivate, 0);
    byte[] ePublic = Arrays.copyOf(sealed, 32);
    byte[] shared = new byte[32];
    own.generateSecret(new X25519PublicKeyParameters(ePublic, 0), shared, 0);
    byte[] key =
        hkdf(
            shared,
            concat(ePublic, own.generatePublicKey().getEncoded()),
            "konsil-mailbox-v1 seal " + label);
    return decrypt(key, Arrays.copyOfRange(sealed, 32, sealed.length), label);
  }

  static byte[] sign(byte[] edPrivate, byte[] transcript) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, new Ed25519PrivateKeyParameters(edPrivate, 0));
    signer.update(transcript, 0, transcript.length);
    return signer.generateSignature();
  }

  static boolean verify(byte[] edPublic, byte[] transcript, byte[] signature) {
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(
        false, new org.bouncycastle.crypto.params.Ed25519PublicKeyParameters(edPublic, 0));
    verifier.update(transcript, 0, transcript.length);
    return verifier.verifySignature(signature);
  }

  static byte[] transcript(
      UUID mailboxId, UUID messageId, String direction, byte[] envelope, List<byte[]> attachments) {
    StringBuilder text =
        new StringBuilder("konsil-mailbox-v1 message\n")
            .append(mailboxId)
            .append('\n')
            .append(messageId)
            .append('\n')
            .append(direction)
            .append('\n')
            .append(sha256Hex(envelope));
    for (byte[] attachment : attachments) {
      text.append('\n').append(sha256Hex(attachment));
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  static byte[] random(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
