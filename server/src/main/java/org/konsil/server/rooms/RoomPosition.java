package org.konsil.server.rooms;

import io.vertx.sqlclient.templates.RowMapper;
import java.util.UUID;

/**
 * Where a room stands for a connection that starts following it: its last sequence number, and
 * whether its patient revoked consent (then its messages are shown masked), and whether it is
 * encrypted (then each device gets its own envelope of a message). Read from the database each time
 * a connection joins, so every node and every restart answers the same.
 */
public record RoomPosition(UUID id, long lastSeq, boolean revoked, boolean encrypted) {

  static final RowMapper<RoomPosition> MAPPER =
      row ->
          new RoomPosition(
              row.getUUID("id"),
              row.getLong("last_seq"),
              row.getBoolean("revoked"),
              row.getBoolean("encrypted"));
}
