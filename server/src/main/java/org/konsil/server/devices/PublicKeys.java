package org.konsil.server.devices;

import java.util.Arrays;
import org.konsil.server.http.ApiException;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMPublicKey;

/**
 * Checks uploaded public keys with libsignal-client: each must parse as the kind of key its field
 * names and serialize back to exactly the bytes sent (libsignal accepts trailing bytes after an EC
 * key; the directory does not), and each signed prekey's signature must verify with the device's
 * identity key over the prekey's serialized form, as libsignal checks it when it builds a session.
 */
final class PublicKeys {

  /** XEdDSA signatures made with a Curve25519 identity key. */
  static final int SIGNATURE_BYTES = 64;

  private PublicKeys() {}

  /** The identity key, or a {@code 422 invalid_key} naming the field. */
  static IdentityKey identityKey(String field, byte[] serialized) {
    try {
      IdentityKey key = new IdentityKey(serialized);
      requireCanonical(field, serialized, key.serialize());
      return key;
    } catch (InvalidKeyException | IllegalArgumentException e) {
      throw invalidKey(field);
    }
  }

  /** Refuses bytes that are no EC public key, with a {@code 422 invalid_key} naming the field. */
  static void requireEcKey(String field, byte[] serialized) {
    try {
      requireCanonical(field, serialized, new ECPublicKey(serialized).serialize());
    } catch (InvalidKeyException | IllegalArgumentException e) {
      throw invalidKey(field);
    }
  }

  /** Refuses bytes that are no KEM (Kyber) public key, with a {@code 422 invalid_key}. */
  static void requireKemKey(String field, byte[] serialized) {
    try {
      requireCanonical(field, serialized, new KEMPublicKey(serialized).serialize());
    } catch (InvalidKeyException | IllegalArgumentException e) {
      throw invalidKey(field);
    }
  }

  /**
   * Refuses a signature that does not verify over the public key's serialized form with the
   * identity key, with a {@code 422 invalid_signature} naming the field.
   */
  static void requireSignature(
      String field, IdentityKey identity, byte[] signedKey, byte[] signature) {
    if (signature.length != SIGNATURE_BYTES
        || !identity.getPublicKey().verifySignature(signedKey, signature)) {
      throw new ApiException(
          422,
          "invalid_signature",
          "The signature of '" + field + "' does not verify with the device's identity key.");
    }
  }

  private static void requireCanonical(String field, byte[] sent, byte[] parsed) {
    if (!Arrays.equals(sent, parsed)) {
      throw invalidKey(field);
    }
  }

  private static ApiException invalidKey(String field) {
    return new ApiException(
        422, "invalid_key", "'" + field + "' is not a public key of the kind this field holds.");
  }
}
