package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.UUID;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/** Users' read markers: how far each user has read in a room. */
public final class ReadMarkers {

  private final Pool pool;
  private final Clock clock;
  private final RoomService rooms;
  private final RoomStore store = new RoomStore();

  public ReadMarkers(Pool pool, Clock clock, RoomService rooms) {
    this.pool = pool;
    this.clock = clock;
    this.rooms = rooms;
  }

  /** Moves the user's read marker and answers the room's unread count after it. */
  public Future<ReadMarker> markRead(AuthenticatedUser user, UUID roomId, long seq) {
    return rooms
        .requireMember(user, roomId)
        .compose(
            last -> store.advanceReadMarker(pool, user.userId(), roomId, seq, Times.now(clock)))
        .compose(done -> rooms.view(user, roomId))
        .map(room -> new ReadMarker(roomId, room.readSeq(), room.unread()));
  }
}
