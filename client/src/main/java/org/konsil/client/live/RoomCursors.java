package org.konsil.client.live;

import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the client stands in each room: the highest sequence number it delivered to the integrator.
 * After a reconnect the client asks the server for everything after it. An integrator that keeps
 * these positions across restarts (next to what it did with the messages) gets, after a restart,
 * every message it has not processed yet; a room without a position starts at its newest message.
 */
public interface RoomCursors {

  /** The last delivered sequence number of the room, if known. */
  OptionalLong lastDelivered(UUID room);

  /** The room's messages up to seq were delivered. */
  void delivered(UUID room, long seq);

  /** Positions kept in memory only (lost with the client). */
  static RoomCursors inMemory() {
    Map<UUID, Long> positions = new ConcurrentHashMap<>();
    return new RoomCursors() {
      @Override
      public OptionalLong lastDelivered(UUID room) {
        Long seq = positions.get(room);
        return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
      }

      @Override
      public void delivered(UUID room, long seq) {
        positions.put(room, seq);
      }
    };
  }
}
