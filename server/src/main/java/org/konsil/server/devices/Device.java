package org.konsil.server.devices;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.Base64;
import org.konsil.server.http.Times;

/**
 * A device of a user as its owner sees it: ids, identity key, the ids of its current signed prekeys
 * and how many one-time prekeys of each kind the directory still holds for it.
 */
public record Device(
    int deviceId,
    int registrationId,
    String name,
    byte[] identityKey,
    int signedPreKeyId,
    int pqLastResortPreKeyId,
    long preKeys,
    long pqPreKeys,
    OffsetDateTime createdAt) {

  static final RowMapper<Device> MAPPER =
      (Row row) ->
          new Device(
              row.getInteger("device_id"),
              row.getInteger("registration_id"),
              row.getString("name"),
              row.getBuffer("identity_key").getBytes(),
              row.getInteger("signed_prekey_id"),
              row.getInteger("pq_last_resort_id"),
              row.getLong("ec_prekeys"),
              row.getLong("kyber_prekeys"),
              row.getOffsetDateTime("created_at"));

  public JsonObject toJson() {
    return new JsonObject()
        .put("deviceId", deviceId)
        .put("registrationId", registrationId)
        .put("name", name)
        .put("identityKey", Base64.getEncoder().encodeToString(identityKey))
        .put("signedPreKeyId", signedPreKeyId)
        .put("pqLastResortPreKeyId", pqLastResortPreKeyId)
        .put("preKeys", preKeys)
        .put("pqPreKeys", pqPreKeys)
        .put("createdAt", Times.iso(createdAt));
  }
}
