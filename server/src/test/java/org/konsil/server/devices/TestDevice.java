package org.konsil.server.devices;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;
import org.signal.libsignal.protocol.util.KeyHelper;

/**
 * A device as a client would run it: real libsignal keys, made here, whose private halves stay in
 * the device's own protocol store, and the JSON that uploads the public halves.
 */
public final class TestDevice {

  public final IdentityKeyPair identity = IdentityKeyPair.generate();
  public final int registrationId = KeyHelper.generateRegistrationId(false);
  public final InMemorySignalProtocolStore store =
      new InMemorySignalProtocolStore(identity, registrationId);
  private int nextKeyId = 1;
  private int signedPreKeyId;
  private int lastResortId;

  /** A registration body with fresh signed prekeys and this many one-time prekeys of each kind. */
  public JsonObject registration(int oneTimeKeys) {
    return keys(oneTimeKeys)
        .put("registrationId", registrationId)
        .put("identityKey", base64(identity.getPublicKey().serialize()));
  }

  /** An upload of fresh signed prekeys and this many one-time prekeys of each kind. */
  JsonObject keys(int oneTimeKeys) {
    return new JsonObject()
        .put("signedPreKey", signedPreKey())
        .put("pqLastResortPreKey", lastResortPreKey())
        .put("preKeys", preKeys(oneTimeKeys))
        .put("pqPreKeys", pqPreKeys(oneTimeKeys));
  }

  JsonObject signedPreKey() {
    int id = nextKeyId++;
    ECKeyPair pair = ECKeyPair.generate();
    byte[] signature = sign(pair.getPublicKey().serialize());
    store.storeSignedPreKey(
        id, new SignedPreKeyRecord(id, System.currentTimeMillis(), pair, signature));
    signedPreKeyId = id;
    return signed(id, pair.getPublicKey().serialize(), signature);
  }

  JsonObject lastResortPreKey() {
    int id = nextKeyId++;
    KEMKeyPair pair = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
    byte[] signature = sign(pair.getPublicKey().serialize());
    store.storeKyberPreKey(
        id, new KyberPreKeyRecord(id, System.currentTimeMillis(), pair, signature));
    lastResortId = id;
    return signed(id, pair.getPublicKey().serialize(), signature);
  }

  JsonArray preKeys(int count) {
    JsonArray keys = new JsonArray();
    for (int i = 0; i < count; i++) {
      int id = nextKeyId++;
      ECKeyPair pair = ECKeyPair.generate();
      store.storePreKey(id, new PreKeyRecord(id, pair));
      keys.add(
          new JsonObject()
              .put("keyId", id)
              .put("publicKey", base64(pair.getPublicKey().serialize())));
    }
    return keys;
  }

  JsonArray pqPreKeys(int count) {
    JsonArray keys = new JsonArray();
    for (int i = 0; i < count; i++) {
      int id = nextKeyId++;
      KEMKeyPair pair = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
      byte[] signature = sign(pair.getPublicKey().serialize());
      store.storeKyberPreKey(
          id, new KyberPreKeyRecord(id, System.currentTimeMillis(), pair, signature));
      keys.add(signed(id, pair.getPublicKey().serialize(), signature));
    }
    return keys;
  }

  int signedPreKeyId() {
    return signedPreKeyId;
  }

  int lastResortId() {
    return lastResortId;
  }

  byte[] sign(byte[] message) {
    return identity.getPrivateKey().calculateSignature(message);
  }

  /** The libsignal bundle a sender builds from one device of a fetch answer. */
  public static PreKeyBundle bundle(JsonObject device) throws InvalidKeyException {
    JsonObject signed = device.getJsonObject("signedPreKey");
    JsonObject preKey = device.getJsonObject("preKey");
    JsonObject pq = device.getJsonObject("pqPreKey");
    return new PreKeyBundle(
        device.getInteger("registrationId"),
        device.getInteger("deviceId"),
        preKey == null ? PreKeyBundle.NULL_PRE_KEY_ID : preKey.getInteger("keyId"),
        preKey == null ? null : new ECPublicKey(bytes(preKey.getString("publicKey"))),
        signed.getInteger("keyId"),
        new ECPublicKey(bytes(signed.getString("publicKey"))),
        bytes(signed.getString("signature")),
        new IdentityKey(bytes(device.getString("identityKey"))),
        pq.getInteger("keyId"),
        new KEMPublicKey(bytes(pq.getString("publicKey"))),
        bytes(pq.getString("signature")));
  }

  static JsonObject signed(int id, byte[] publicKey, byte[] signature) {
    return new JsonObject()
        .put("keyId", id)
        .put("publicKey", base64(publicKey))
        .put("signature", base64(signature));
  }

  static List<Integer> keyIds(JsonArray keys) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      ids.add(keys.getJsonObject(i).getInteger("keyId"));
    }
    return ids;
  }

  public static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  public static byte[] bytes(String base64) {
    return Base64.getDecoder().decode(base64);
  }
}
