package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

/**
 * SQL for the envelopes of encrypted messages: which devices a room's message must reach, storing
 * one ciphertext per device, how far each device confirmed receiving a room, and dropping what it
 * has not received when the room's patient revokes consent.
 */
final class EnvelopeStore {

  /**
   * The devices a message in the room must reach: every active device of every active user of every
   * active member organisation. Read in the send's transaction, which holds the room's lock.
   */
  private static final String ROOM_DEVICES =
      """
      SELECT d.user_id, d.device_id
        FROM room_members rm
        JOIN organisations o ON o.id = rm.organisation_id AND o.status = 'active'
        JOIN users u ON u.organisation_id = rm.organisation_id AND u.status = 'active'
        JOIN devices d ON d.user_id = u.id AND d.removed_at IS NULL
       WHERE rm.room_id = #{room}""";

  private static final String ACTIVE_DEVICE =
      """
      SELECT 1 FROM devices
       WHERE user_id = #{user} AND device_id = #{device} AND removed_at IS NULL""";

  private static final String INSERT =
      """
      INSERT INTO message_envelopes (room_id, seq, recipient_user_id, recipient_device,
                                     message_type, ciphertext)
      SELECT #{room}, #{seq}, u, d, t, c
        FROM unnest(#{users}::uuid[], #{devices}::smallint[], #{types}::smallint[],
                    #{ciphertexts}::bytea[]) AS e(u, d, t, c)""";

  /** Never moves back; never beyond what the room holds. */
  private static final String CONFIRM =
      """
      INSERT INTO device_room_positions AS p (room_id, user_id, device_id, seq, updated_at)
      SELECT r.id, #{user}, #{device}, least(#{seq}, r.last_seq), #{now}
        FROM rooms r WHERE r.id = #{room}
      ON CONFLICT (room_id, user_id, device_id) DO UPDATE
        SET seq = greatest(p.seq, excluded.seq), updated_at = excluded.updated_at""";

  /** Envelopes above their device's confirmed position in the rooms. */
  private static final String DROP_UNDELIVERED =
      """
      DELETE FROM message_envelopes e
       WHERE e.room_id = ANY(#{rooms}::uuid[])
         AND e.seq > coalesce((SELECT p.seq FROM device_room_positions p
                                WHERE p.room_id = e.room_id
                                  AND p.user_id = e.recipient_user_id
                                  AND p.device_id = e.recipient_device), 0)""";

  /** The room's devices a message must reach, in a stable order. */
  Future<TreeSet<Envelope.Address>> roomDevices(SqlClient tx, UUID room) {
    return SqlTemplate.forQuery(tx, ROOM_DEVICES)
        .execute(Map.of("room", room))
        .map(
            rows -> {
              TreeSet<Envelope.Address> devices = new TreeSet<>();
              rows.forEach(
                  row ->
                      devices.add(
                          new Envelope.Address(
                              row.getUUID("user_id"), row.getInteger("device_id"))));
              return devices;
            });
  }

  Future<Boolean> isActiveDevice(SqlClient client, UUID user, int device) {
    return SqlTemplate.forQuery(client, ACTIVE_DEVICE)
        .execute(Map.of("user", user, "device", device))
        .map(rows -> rows.size() > 0);
  }

  Future<Void> insert(SqlClient tx, UUID room, long seq, List<Envelope> envelopes) {
    int n = envelopes.size();
    UUID[] users = new UUID[n];
    Short[] devices = new Short[n];
    Short[] types = new Short[n];
    Buffer[] ciphertexts = new Buffer[n];
    for (int i = 0; i < n; i++) {
      Envelope e = envelopes.get(i);
      users[i] = e.user();
      devices[i] = (short) e.device();
      types[i] = (short) e.type();
      ciphertexts[i] = Buffer.buffer(e.ciphertext());
    }
    Map<String, Object> p = new HashMap<>();
    p.put("room", room);
    p.put("seq", seq);
    p.put("users", users);
    p.put("devices", devices);
    p.put("types", types);
    p.put("ciphertexts", ciphertexts);
    return SqlTemplate.forUpdate(tx, INSERT).execute(p).mapEmpty();
  }

  /** The device says it holds the room's messages up to seq. */
  Future<Void> confirm(
      SqlClient client, UUID room, UUID user, int device, long seq, OffsetDateTime now) {
    return SqlTemplate.forUpdate(client, CONFIRM)
        .execute(Map.of("room", room, "user", user, "device", device, "seq", seq, "now", now))
        .mapEmpty();
  }

  /** Drops what the devices have not confirmed in the rooms; answers how many envelopes. */
  Future<Integer> dropUndelivered(SqlClient tx, List<UUID> rooms) {
    return SqlTemplate.forUpdate(tx, DROP_UNDELIVERED)
        .execute(Map.of("rooms", rooms.toArray(new UUID[0])))
        .map(result -> result.rowCount());
  }
}
