package org.konsil.server.devices;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for devices, their prekeys and the prekey fetch counts. */
final class DeviceStore {

  private static final String DEVICE_SELECT =
      """
      SELECT d.device_id, d.registration_id, d.name, d.identity_key, d.signed_prekey_id,
             d.pq_last_resort_id, d.created_at,
             (SELECT count(*) FROM one_time_prekeys o WHERE o.device = d.id AND o.kind = 'ec')
               AS ec_prekeys,
             (SELECT count(*) FROM one_time_prekeys o WHERE o.device = d.id AND o.kind = 'kyber')
               AS kyber_prekeys
        FROM devices d
       WHERE d.user_id = #{user} AND d.removed_at IS NULL
      """;

  private static final String DEVICES = DEVICE_SELECT + "ORDER BY d.device_id";

  private static final String DEVICE = DEVICE_SELECT + "AND d.device_id = #{device}";

  /** Serialises the registrations of one user, so that the device limit holds under races. */
  private static final String LOCK_USER =
      "SELECT 1 FROM users WHERE id = #{user} FOR NO KEY UPDATE";

  private static final String BY_IDENTITY_KEY =
      """
      SELECT user_id, device_id, registration_id, removed_at IS NULL AS active
        FROM devices WHERE identity_key = #{key}
      """;

  private static final String COUNT_ACTIVE =
      "SELECT count(*) AS devices FROM devices WHERE user_id = #{user} AND removed_at IS NULL";

  /**
   * The lowest device id this user never had; when all were used, the lowest one no active device
   * has. A device id that comes back with a new identity key looks like a changed key to peers, so
   * ids are not handed out again while there are fresh ones.
   */
  private static final String FREE_DEVICE_ID =
      """
      SELECT coalesce(
        (SELECT min(n) FROM generate_series(1, 127) n
          WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = #{user} AND d.device_id = n)),
        (SELECT min(n) FROM generate_series(1, 127) n
          WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = #{user} AND d.device_id = n
                              AND d.removed_at IS NULL))) AS device_id
      """;

  private static final String INSERT_DEVICE =
      """
      INSERT INTO devices (id, user_id, device_id, registration_id, name, identity_key,
                           signed_prekey_id, signed_prekey, signed_prekey_signature,
                           pq_last_resort_id, pq_last_resort_key, pq_last_resort_signature,
                           created_at)
      VALUES (#{id}, #{user}, #{device}, #{registration}, #{name}, #{identity},
              #{signedId}, #{signedKey}, #{signedSignature},
              #{lastResortId}, #{lastResortKey}, #{lastResortSignature}, #{now})
      """;

  private static final String ACTIVE_DEVICE =
      """
      SELECT id, identity_key FROM devices
       WHERE user_id = #{user} AND device_id = #{device} AND removed_at IS NULL
      """;

  private static final String LOCK_DEVICE =
      "SELECT 1 FROM devices WHERE id = #{id} AND removed_at IS NULL FOR NO KEY UPDATE";

  private static final String UPDATE_SIGNED_PREKEY =
      """
      UPDATE devices SET signed_prekey_id = #{keyId}, signed_prekey = #{key},
                         signed_prekey_signature = #{signature}
       WHERE id = #{id}
      """;

  private static final String UPDATE_LAST_RESORT =
      """
      UPDATE devices SET pq_last_resort_id = #{keyId}, pq_last_resort_key = #{key},
                         pq_last_resort_signature = #{signature}
       WHERE id = #{id}
      """;

  private static final String DELETE_STOCK =
      "DELETE FROM one_time_prekeys WHERE device = #{id} AND kind = #{kind}";

  private static final String INSERT_PREKEY =
      """
      INSERT INTO one_time_prekeys (device, kind, key_id, public_key, signature)
      VALUES (#{device}, #{kind}, #{keyId}, #{key}, #{signature})
      """;

  private static final String REMOVE_DEVICE =
      """
      UPDATE devices SET removed_at = #{now}
       WHERE user_id = #{user} AND device_id = #{device} AND removed_at IS NULL
      RETURNING id, registration_id
      """;

  private static final String DELETE_ALL_PREKEYS =
      "DELETE FROM one_time_prekeys WHERE device = #{id}";

  /**
   * Counts one fetch of the user in the current window (a window older than its length starts anew)
   * and answers the window's start and its count. The count stops one above the limit.
   */
  private static final String COUNT_FETCH =
      """
      INSERT INTO prekey_fetch_windows AS w (user_id, window_start, fetches)
      VALUES (#{user}, #{now}, 1)
      ON CONFLICT (user_id) DO UPDATE SET
        window_start = CASE WHEN w.window_start <= #{expired} THEN #{now} ELSE w.window_start END,
        fetches = CASE WHEN w.window_start <= #{expired} THEN 1
                       ELSE LEAST(w.fetches + 1, #{cap}) END
      RETURNING window_start, fetches
      """;

  /**
   * The target user's organisation if the user exists, and whether the requesting organisation may
   * fetch their keys: the user and their organisation are active, and the two organisations are the
   * same, share a room, or are partners through a patient's active consent (one owns the patient,
   * the consent covers the other).
   */
  private static final String ACCESS =
      """
      SELECT u.organisation_id,
             (u.status = 'active' AND o.status = 'active' AND (
                u.organisation_id = #{org}
                OR EXISTS (SELECT 1 FROM room_members a
                             JOIN room_members b ON b.room_id = a.room_id
                            WHERE a.organisation_id = #{org}
                              AND b.organisation_id = u.organisation_id)
                OR EXISTS (SELECT 1 FROM consents c
                             JOIN patients p ON p.id = c.patient_id
                             JOIN consent_organisations co ON co.consent_id = c.id
                            WHERE c.status = 'active' AND p.consent_revoked_at IS NULL
                              AND ((p.organisation_id = #{org}
                                    AND co.organisation_id = u.organisation_id)
                                OR (p.organisation_id = u.organisation_id
                                    AND co.organisation_id = #{org}))))) AS allowed
        FROM users u JOIN organisations o ON o.id = u.organisation_id
       WHERE u.id = #{target}
      """;

  /**
   * Locks the user's active devices for the rest of the fetch's transaction, so that fetches for
   * one user take their one-time prekeys one after another. Without it, concurrent fetches could
   * skip keys another fetch held and come away with a Kyber key but no EC key, or with none while
   * keys remained. Fetches for different users do not wait for each other.
   */
  private static final String LOCK_DEVICES =
      """
      SELECT d.id FROM devices d
       WHERE d.user_id = #{user} AND d.removed_at IS NULL
       ORDER BY d.id
         FOR NO KEY UPDATE
      """;

  /**
   * Takes (deletes and answers) at most one one-time prekey of each kind from each active device of
   * the user: the lowest key id of each kind left. Runs after {@link #LOCK_DEVICES} in the same
   * transaction, so no two fetches take the same key.
   */
  private static final String TAKE_PREKEYS =
      """
      DELETE FROM one_time_prekeys o
       WHERE (o.device, o.kind, o.key_id) IN (
             SELECT p.device, p.kind, p.key_id
               FROM devices d
              CROSS JOIN (VALUES ('ec'), ('kyber')) AS k (kind)
              CROSS JOIN LATERAL (
                    SELECT x.device, x.kind, x.key_id FROM one_time_prekeys x
                     WHERE x.device = d.id AND x.kind = k.kind
                     ORDER BY x.key_id
                     LIMIT 1) p
              WHERE d.user_id = #{user} AND d.removed_at IS NULL)
      RETURNING o.device, o.kind, o.key_id, o.public_key, o.signature
      """;

  private static final String BUNDLE_DEVICES =
      """
      SELECT d.id, d.device_id, d.registration_id, d.identity_key,
             d.signed_prekey_id, d.signed_prekey, d.signed_prekey_signature,
             d.pq_last_resort_id, d.pq_last_resort_key, d.pq_last_resort_signature,
             (SELECT count(*) FROM one_time_prekeys o WHERE o.device = d.id AND o.kind = 'ec')
               AS ec_prekeys,
             (SELECT count(*) FROM one_time_prekeys o WHERE o.device = d.id AND o.kind = 'kyber')
               AS kyber_prekeys
        FROM devices d
       WHERE d.user_id = #{user} AND d.removed_at IS NULL
       ORDER BY d.device_id
      """;

  /** A device found by its identity key, active or removed. */
  record KnownIdentity(UUID userId, int deviceId, int registrationId, boolean active) {}

  /** A device's row id and identity key. */
  record ActiveDevice(UUID id, byte[] identityKey) {}

  /** A removed device's row id and registration id. */
  record RemovedDevice(UUID id, int registrationId) {}

  /** Who the target of a fetch is, if anyone, and whether the requester may fetch. */
  record Access(UUID organisationId, boolean allowed) {}

  /** The fetch count of a user's current window. */
  record FetchWindow(OffsetDateTime start, int fetches) {}

  /** A device's bundle and its one-time prekeys left after this fetch. */
  record Fetched(PrekeyBundle bundle, long preKeysLeft, long pqPreKeysLeft) {}

  Future<List<Device>> list(SqlClient client, UUID user) {
    return SqlTemplate.forQuery(client, DEVICES)
        .mapTo(Device.MAPPER)
        .execute(Map.of("user", user))
        .map(Rows::list);
  }

  Future<Device> view(SqlClient client, UUID user, int deviceId) {
    return SqlTemplate.forQuery(client, DEVICE)
        .mapTo(Device.MAPPER)
        .execute(Map.of("user", user, "device", deviceId))
        .map(Rows::firstOrNull);
  }

  Future<Void> lockUser(SqlClient tx, UUID user) {
    return SqlTemplate.forQuery(tx, LOCK_USER).execute(Map.of("user", user)).mapEmpty();
  }

  Future<KnownIdentity> byIdentityKey(SqlClient client, byte[] identityKey) {
    return SqlTemplate.forQuery(client, BY_IDENTITY_KEY)
        .execute(Map.of("key", Buffer.buffer(identityKey)))
        .map(Rows::firstOrNull)
        .map(
            row ->
                row == null
                    ? null
                    : new KnownIdentity(
                        row.getUUID("user_id"),
                        row.getInteger("device_id"),
                        row.getInteger("registration_id"),
                        row.getBoolean("active")));
  }

  Future<Long> countActive(SqlClient tx, UUID user) {
    return SqlTemplate.forQuery(tx, COUNT_ACTIVE)
        .execute(Map.of("user", user))
        .map(rows -> rows.iterator().next().getLong("devices"));
  }

  Future<Integer> freeDeviceId(SqlClient tx, UUID user) {
    return SqlTemplate.forQuery(tx, FREE_DEVICE_ID)
        .execute(Map.of("user", user))
        .map(rows -> rows.iterator().next().getInteger("device_id"));
  }

  Future<Void> insertDevice(
      SqlClient tx,
      UUID id,
      UUID user,
      int deviceId,
      int registrationId,
      String name,
      byte[] identityKey,
      KeyUpload keys,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("user", user);
    p.put("device", deviceId);
    p.put("registration", registrationId);
    p.put("name", name);
    p.put("identity", Buffer.buffer(identityKey));
    p.put("signedId", keys.signedPreKey().keyId());
    p.put("signedKey", Buffer.buffer(keys.signedPreKey().publicKey()));
    p.put("signedSignature", Buffer.buffer(keys.signedPreKey().signature()));
    p.put("lastResortId", keys.pqLastResortPreKey().keyId());
    p.put("lastResortKey", Buffer.buffer(keys.pqLastResortPreKey().publicKey()));
    p.put("lastResortSignature", Buffer.buffer(keys.pqLastResortPreKey().signature()));
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, INSERT_DEVICE).execute(p).mapEmpty();
  }

  Future<ActiveDevice> activeDevice(SqlClient client, UUID user, int deviceId) {
    return SqlTemplate.forQuery(client, ACTIVE_DEVICE)
        .execute(Map.of("user", user, "device", deviceId))
        .map(Rows::firstOrNull)
        .map(
            row ->
                row == null
                    ? null
                    : new ActiveDevice(
                        row.getUUID("id"), row.getBuffer("identity_key").getBytes()));
  }

  /** Locks the device's row; answers false when it was removed meanwhile. */
  Future<Boolean> lockDevice(SqlClient tx, UUID id) {
    return SqlTemplate.forQuery(tx, LOCK_DEVICE)
        .execute(Map.of("id", id))
        .map(rows -> rows.size() > 0);
  }

  /** Stores the parts of the upload that are present; a batch replaces the stock of its kind. */
  Future<Void> storeKeys(SqlClient tx, UUID device, KeyUpload keys) {
    Future<Void> done = Future.succeededFuture();
    if (keys.signedPreKey() != null) {
      done = done.compose(v -> updateSigned(tx, UPDATE_SIGNED_PREKEY, device, keys.signedPreKey()));
    }
    if (keys.pqLastResortPreKey() != null) {
      done =
          done.compose(
              v -> updateSigned(tx, UPDATE_LAST_RESORT, device, keys.pqLastResortPreKey()));
    }
    if (keys.preKeys() != null) {
      List<Map<String, Object>> batch = new ArrayList<>();
      for (KeyUpload.OneTimeKey key : keys.preKeys()) {
        batch.add(prekeyRow(device, "ec", key.keyId(), key.publicKey(), null));
      }
      done = done.compose(v -> replaceStock(tx, device, "ec", batch));
    }
    if (keys.pqPreKeys() != null) {
      List<Map<String, Object>> batch = new ArrayList<>();
      for (KeyUpload.SignedKey key : keys.pqPreKeys()) {
        batch.add(prekeyRow(device, "kyber", key.keyId(), key.publicKey(), key.signature()));
      }
      done = done.compose(v -> replaceStock(tx, device, "kyber", batch));
    }
    return done;
  }

  private static Future<Void> updateSigned(
      SqlClient tx, String sql, UUID device, KeyUpload.SignedKey key) {
    return SqlTemplate.forUpdate(tx, sql)
        .execute(
            Map.of(
                "id",
                device,
                "keyId",
                key.keyId(),
                "key",
                Buffer.buffer(key.publicKey()),
                "signature",
                Buffer.buffer(key.signature())))
        .mapEmpty();
  }

  private static Future<Void> replaceStock(
      SqlClient tx, UUID device, String kind, List<Map<String, Object>> batch) {
    Future<Void> deleted =
        SqlTemplate.forUpdate(tx, DELETE_STOCK)
            .execute(Map.of("id", device, "kind", kind))
            .mapEmpty();
    if (batch.isEmpty()) {
      return deleted;
    }
    return deleted.compose(
        v -> SqlTemplate.forUpdate(tx, INSERT_PREKEY).executeBatch(batch).mapEmpty());
  }

  private static Map<String, Object> prekeyRow(
      UUID device, String kind, int keyId, byte[] publicKey, byte[] signature) {
    Map<String, Object> row = new HashMap<>();
    row.put("device", device);
    row.put("kind", kind);
    row.put("keyId", keyId);
    row.put("key", Buffer.buffer(publicKey));
    row.put("signature", signature == null ? null : Buffer.buffer(signature));
    return row;
  }

  Future<RemovedDevice> remove(SqlClient tx, UUID user, int deviceId, OffsetDateTime now) {
    return SqlTemplate.forQuery(tx, REMOVE_DEVICE)
        .execute(Map.of("user", user, "device", deviceId, "now", now))
        .map(Rows::firstOrNull)
        .compose(
            row -> {
              if (row == null) {
                return Future.succeededFuture(null);
              }
              RemovedDevice removed =
                  new RemovedDevice(row.getUUID("id"), row.getInteger("registration_id"));
              return SqlTemplate.forUpdate(tx, DELETE_ALL_PREKEYS)
                  .execute(Map.of("id", removed.id()))
                  .map(deleted -> removed);
            });
  }

  Future<FetchWindow> countFetch(
      SqlClient client, UUID user, OffsetDateTime now, OffsetDateTime expired, int limit) {
    return SqlTemplate.forQuery(client, COUNT_FETCH)
        .execute(Map.of("user", user, "now", now, "expired", expired, "cap", limit + 1))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              return new FetchWindow(
                  row.getOffsetDateTime("window_start"), row.getInteger("fetches"));
            });
  }

  Future<Access> access(SqlClient client, UUID target, UUID requesterOrganisation) {
    return SqlTemplate.forQuery(client, ACCESS)
        .execute(Map.of("target", target, "org", requesterOrganisation))
        .map(Rows::firstOrNull)
        .map(
            row ->
                row == null
                    ? null
                    : new Access(row.getUUID("organisation_id"), row.getBoolean("allowed")));
  }

  /** Takes one-time prekeys and answers a bundle per active device of the user. */
  Future<List<Fetched>> fetchBundles(SqlClient tx, UUID user) {
    return SqlTemplate.forQuery(tx, LOCK_DEVICES)
        .execute(Map.of("user", user))
        .compose(locked -> SqlTemplate.forQuery(tx, TAKE_PREKEYS).execute(Map.of("user", user)))
        .compose(
            taken -> {
              Map<UUID, KeyUpload.OneTimeKey> ec = new HashMap<>();
              Map<UUID, KeyUpload.SignedKey> kyber = new HashMap<>();
              for (Row row : taken) {
                UUID device = row.getUUID("device");
                int keyId = row.getInteger("key_id");
                byte[] key = row.getBuffer("public_key").getBytes();
                if ("ec".equals(row.getString("kind"))) {
                  ec.put(device, new KeyUpload.OneTimeKey(keyId, key));
                } else {
                  kyber.put(
                      device,
                      new KeyUpload.SignedKey(keyId, key, row.getBuffer("signature").getBytes()));
                }
              }
              return SqlTemplate.forQuery(tx, BUNDLE_DEVICES)
                  .execute(Map.of("user", user))
                  .map(
                      rows -> {
                        List<Fetched> bundles = new ArrayList<>();
                        for (Row row : rows) {
                          UUID device = row.getUUID("id");
                          KeyUpload.SignedKey pq = kyber.get(device);
                          if (pq == null) {
                            pq =
                                new KeyUpload.SignedKey(
                                    row.getInteger("pq_last_resort_id"),
                                    row.getBuffer("pq_last_resort_key").getBytes(),
                                    row.getBuffer("pq_last_resort_signature").getBytes());
                          }
                          PrekeyBundle bundle =
                              new PrekeyBundle(
                                  row.getInteger("device_id"),
                                  row.getInteger("registration_id"),
                                  row.getBuffer("identity_key").getBytes(),
                                  new KeyUpload.SignedKey(
                                      row.getInteger("signed_prekey_id"),
                                      row.getBuffer("signed_prekey").getBytes(),
                                      row.getBuffer("signed_prekey_signature").getBytes()),
                                  ec.get(device),
                                  pq);
                          bundles.add(
                              new Fetched(
                                  bundle, row.getLong("ec_prekeys"), row.getLong("kyber_prekeys")));
                        }
                        return bundles;
                      });
            });
  }
}
