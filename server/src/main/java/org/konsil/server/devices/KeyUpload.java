package org.konsil.server.devices;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.signal.libsignal.protocol.IdentityKey;

/**
 * Prekeys a device uploads, as read from a request: a signed EC prekey, a signed Kyber last-resort
 * prekey, and batches of one-time EC and Kyber prekeys. An absent part leaves what the directory
 * holds of it unchanged; a batch that is present replaces the device's stock of its kind.
 */
record KeyUpload(
    SignedKey signedPreKey,
    SignedKey pqLastResortPreKey,
    List<OneTimeKey> preKeys,
    List<SignedKey> pqPreKeys) {

  /** At most this many one-time prekeys of each kind per upload (and so in stock). */
  static final int MAX_BATCH = 100;

  /** libsignal's prekey ids are unsigned 32-bit numbers; the directory takes the positive half. */
  static final long MAX_KEY_ID = Integer.MAX_VALUE;

  /** A public key with its id and its signature by the identity key. */
  record SignedKey(int keyId, byte[] publicKey, byte[] signature) {}

  /** A one-time EC prekey (not signed). */
  record OneTimeKey(int keyId, byte[] publicKey) {}

  /**
   * Reads the parts from a request body; their keys and signatures are checked by {@link #check}.
   */
  static KeyUpload from(Json body) {
    return new KeyUpload(
        signed(body.raw(), "signedPreKey"),
        signed(body.raw(), "pqLastResortPreKey"),
        oneTimeKeys(body.raw()),
        signedBatch(body.raw(), "pqPreKeys"));
  }

  boolean isEmpty() {
    return signedPreKey == null
        && pqLastResortPreKey == null
        && preKeys == null
        && pqPreKeys == null;
  }

  /**
   * Parses every key with libsignal and verifies every signature with the identity key; refuses the
   * first bad one ({@code 422 invalid_key} or {@code invalid_signature}, naming its field). CPU
   * work: run it off the event loop.
   */
  void check(IdentityKey identity) {
    if (signedPreKey != null) {
      PublicKeys.requireEcKey("signedPreKey.publicKey", signedPreKey.publicKey());
      PublicKeys.requireSignature(
          "signedPreKey", identity, signedPreKey.publicKey(), signedPreKey.signature());
    }
    if (pqLastResortPreKey != null) {
      PublicKeys.requireKemKey("pqLastResortPreKey.publicKey", pqLastResortPreKey.publicKey());
      PublicKeys.requireSignature(
          "pqLastResortPreKey",
          identity,
          pqLastResortPreKey.publicKey(),
          pqLastResortPreKey.signature());
    }
    if (preKeys != null) {
      for (int i = 0; i < preKeys.size(); i++) {
        PublicKeys.requireEcKey("preKeys[" + i + "].publicKey", preKeys.get(i).publicKey());
      }
    }
    if (pqPreKeys != null) {
      for (int i = 0; i < pqPreKeys.size(); i++) {
        SignedKey key = pqPreKeys.get(i);
        PublicKeys.requireKemKey("pqPreKeys[" + i + "].publicKey", key.publicKey());
        PublicKeys.requireSignature(
            "pqPreKeys[" + i + "]", identity, key.publicKey(), key.signature());
      }
    }
  }

  private static SignedKey signed(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject key)) {
      throw ApiException.validation("'" + field + "' must be an object.");
    }
    return signedKey(field, key);
  }

  private static SignedKey signedKey(String field, JsonObject key) {
    Json json = Json.of(key);
    return new SignedKey(
        keyId(json, field),
        bytes(json, field, "publicKey", 4096),
        bytes(json, field, "signature", 128));
  }

  private static List<OneTimeKey> oneTimeKeys(JsonObject body) {
    JsonArray array = batch(body, "preKeys");
    if (array == null) {
      return null;
    }
    List<OneTimeKey> keys = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String field = "preKeys[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject key)) {
        throw ApiException.validation("'" + field + "' must be an object.");
      }
      Json json = Json.of(key);
      OneTimeKey oneTime = new OneTimeKey(keyId(json, field), bytes(json, field, "publicKey", 128));
      requireNew(ids, oneTime.keyId(), "preKeys");
      keys.add(oneTime);
    }
    return keys;
  }

  private static List<SignedKey> signedBatch(JsonObject body, String name) {
    JsonArray array = batch(body, name);
    if (array == null) {
      return null;
    }
    List<SignedKey> keys = new ArrayList<>();
    Set<Integer> ids = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String field = name + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject key)) {
        throw ApiException.validation("'" + field + "' must be an object.");
      }
      SignedKey signed = signedKey(field, key);
      requireNew(ids, signed.keyId(), name);
      keys.add(signed);
    }
    return keys;
  }

  private static JsonArray batch(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array) || array.size() > MAX_BATCH) {
      throw ApiException.validation(
          "'" + field + "' must be a list of at most " + MAX_BATCH + " prekeys.");
    }
    return array;
  }

  private static void requireNew(Set<Integer> ids, int keyId, String field) {
    if (!ids.add(keyId)) {
      throw ApiException.validation("'" + field + "' holds the keyId " + keyId + " twice.");
    }
  }

  private static int keyId(Json key, String field) {
    try {
      return (int) key.requiredLong("keyId", 0, MAX_KEY_ID);
    } catch (ApiException e) {
      throw ApiException.validation(
          "'" + field + ".keyId' must be a whole number from 0 to " + MAX_KEY_ID + ".");
    }
  }

  /** Base64 (RFC 4648, standard alphabet; padding may be left out) of at most maxBytes bytes. */
  static byte[] bytes(Json json, String parent, String field, int maxBytes) {
    String name = parent == null ? field : parent + "." + field;
    Object value = json.raw().getValue(field);
    if (!(value instanceof String text) || text.isEmpty()) {
      throw ApiException.validation("'" + name + "' is required (Base64).");
    }
    if (text.length() > (maxBytes + 2) / 3 * 4) {
      throw ApiException.validation("'" + name + "' is too long.");
    }
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.validation("'" + name + "' must be Base64.");
    }
  }
}
