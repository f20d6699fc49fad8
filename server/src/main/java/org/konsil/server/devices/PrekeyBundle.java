package org.konsil.server.devices;

import io.vertx.core.json.JsonObject;
import java.util.Base64;

/**
 * What a sender needs to start a session with one device: its ids and identity key, its signed EC
 * prekey, a one-time EC prekey if any was left (null otherwise), and a Kyber prekey: a one-time one
 * if any was left, else the device's last-resort one.
 */
record PrekeyBundle(
    int deviceId,
    int registrationId,
    byte[] identityKey,
    KeyUpload.SignedKey signedPreKey,
    KeyUpload.OneTimeKey preKey,
    KeyUpload.SignedKey pqPreKey) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("deviceId", deviceId)
        .put("registrationId", registrationId)
        .put("identityKey", base64(identityKey))
        .put("signedPreKey", signed(signedPreKey))
        .put(
            "preKey",
            preKey == null
                ? null
                : new JsonObject()
                    .put("keyId", preKey.keyId())
                    .put("publicKey", base64(preKey.publicKey())))
        .put("pqPreKey", signed(pqPreKey));
  }

  private static JsonObject signed(KeyUpload.SignedKey key) {
    return new JsonObject()
        .put("keyId", key.keyId())
        .put("publicKey", base64(key.publicKey()))
        .put("signature", base64(key.signature()));
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
