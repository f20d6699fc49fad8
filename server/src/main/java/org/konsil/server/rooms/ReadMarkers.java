package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.templates.RowMapper;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/** Users' read markers: how far each user has read in a room, for them and for the others. */
public final class ReadMarkers {

  /**
   * The other users' markers in a room, of organisations that are members of it, furthest first.
   */
  private static final String RECEIPTS =
      """
      SELECT rm.room_id, rm.user_id, u.display_name, o.id AS org_id, o.name AS org_name, rm.seq,
             rm.updated_at
        FROM read_markers rm JOIN users u ON u.id = rm.user_id
        JOIN organisations o ON o.id = u.organisation_id
        JOIN room_members m ON m.room_id = rm.room_id AND m.organisation_id = u.organisation_id
       WHERE rm.room_id = #{room} AND rm.user_id <> #{user} AND rm.seq > 0
       ORDER BY rm.seq DESC, u.display_name, rm.user_id""";

  private static final String ONE =
      """
      SELECT rm.room_id, rm.user_id, u.display_name, o.id AS org_id, o.name AS org_name, rm.seq,
             rm.updated_at
        FROM read_markers rm JOIN users u ON u.id = rm.user_id
        JOIN organisations o ON o.id = u.organisation_id
       WHERE rm.room_id = #{room} AND rm.user_id = #{user}""";

  private static final RowMapper<Receipt> RECEIPT =
      row ->
          new Receipt(
              row.getUUID("room_id"),
              row.getUUID("user_id"),
              row.getString("display_name"),
              row.getUUID("org_id"),
              row.getString("org_name"),
              row.getLong("seq"),
              row.getOffsetDateTime("updated_at"));

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

  /** The user's own marker as others see it (for the live receipt), or null. */
  public Future<Receipt> receiptOf(AuthenticatedUser user, UUID roomId) {
    return SqlTemplate.forQuery(pool, ONE)
        .mapTo(RECEIPT)
        .execute(Map.of("room", roomId, "user", user.userId()))
        .map(Rows::firstOrNull);
  }

  /** How far the other users of the room's member organisations have read it. */
  public Future<List<Receipt>> receipts(AuthenticatedUser user, UUID roomId) {
    return rooms
        .requireMember(user, roomId)
        .compose(
            last ->
                SqlTemplate.forQuery(pool, RECEIPTS)
                    .mapTo(RECEIPT)
                    .execute(Map.of("room", roomId, "user", user.userId())))
        .map(Rows::list);
  }
}
