package org.konsil.server.devices;

import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;

/**
 * A new device: its registration id, an optional name for its owner, its identity key and its first
 * prekeys. The signed EC prekey and the signed Kyber last-resort prekey are required: their
 * signatures prove that the device holds the identity key's private half.
 */
record RegisterDeviceRequest(int registrationId, String name, byte[] identityKey, KeyUpload keys) {

  /** libsignal's registration ids: 14 bits, not 0. */
  static final int MAX_REGISTRATION_ID = 0x3FFF;

  static RegisterDeviceRequest from(Json body) {
    int registrationId;
    try {
      registrationId = (int) body.requiredLong("registrationId", 1, MAX_REGISTRATION_ID);
    } catch (ApiException e) {
      throw ApiException.validation(
          "'registrationId' must be a whole number from 1 to " + MAX_REGISTRATION_ID + ".");
    }
    String name = body.optionalText("name", 100);
    if (name != null) {
      name = name.trim();
      if (name.isEmpty()) {
        throw ApiException.validation("'name' must not be blank.");
      }
    }
    byte[] identityKey = KeyUpload.bytes(body, null, "identityKey", 128);
    KeyUpload keys = KeyUpload.from(body);
    if (keys.signedPreKey() == null) {
      throw ApiException.validation("'signedPreKey' is required.");
    }
    if (keys.pqLastResortPreKey() == null) {
      throw ApiException.validation("'pqLastResortPreKey' is required.");
    }
    return new RegisterDeviceRequest(registrationId, name, identityKey, keys);
  }
}
