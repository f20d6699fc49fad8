package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.accounts.AuthenticatedUser;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.messaging.LiveEvents;
import org.konsil.server.organisations.Organisation;
import org.konsil.server.organisations.OrganisationService;

/** Rooms: who may create them with whom, who sees them, and users' read markers. */
public final class RoomService {

  public static final int MAX_PARTNERS = 50;

  private final Pool pool;
  private final Clock clock;
  private final OrganisationService organisations;
  private final LiveEvents live;
  private final RoomStore store = new RoomStore();

  public RoomService(Pool pool, Clock clock, OrganisationService organisations, LiveEvents live) {
    this.pool = pool;
    this.clock = clock;
    this.organisations = organisations;
    this.live = live;
  }

  /** A general room of the user's organisation with active partner organisations. */
  public Future<Room> createGeneral(AuthenticatedUser user, String title, List<UUID> partners) {
    List<UUID> others = partners.stream().filter(id -> !id.equals(user.organisationId())).toList();
    UUID roomId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    return organisations
        .activeOrganisations(others)
        .compose(
            found -> {
              if (found.size() != others.size()) {
                List<UUID> missing = new ArrayList<>(others);
                missing.removeAll(found.stream().map(Organisation::id).toList());
                throw new ApiException(
                    422,
                    "organisation_not_active",
                    "These partner organisations are unknown or not active: " + missing + ".");
              }
              List<UUID> members = new ArrayList<>();
              members.add(user.organisationId());
              members.addAll(others);
              return pool.withTransaction(
                      tx ->
                          store
                              .insertRoom(
                                  tx,
                                  roomId,
                                  "general",
                                  title,
                                  user.organisationId(),
                                  user.userId(),
                                  now)
                              .compose(done -> store.insertMembers(tx, roomId, members, now)))
                  .compose(
                      done -> store.viewFor(pool, roomId, user.organisationId(), user.userId()))
                  .onSuccess(
                      room ->
                          live.joined(
                              roomId,
                              0,
                              members,
                              new JsonObject()
                                  .put("type", "joined")
                                  .put("room", room.toJson().put("unread", 0).put("readSeq", 0))
                                  .encode()));
            });
  }

  public Future<JsonArray> list(AuthenticatedUser user) {
    return store
        .listFor(pool, user.organisationId(), user.userId())
        .map(rooms -> new JsonArray(rooms.stream().map(Room::toJson).toList()));
  }

  public Future<Room> view(AuthenticatedUser user, UUID roomId) {
    return store
        .viewFor(pool, roomId, user.organisationId(), user.userId())
        .map(
            room -> {
              if (room == null) {
                throw ApiException.notAMember();
              }
              return room;
            });
  }

  /** The room's last sequence number, refusing anyone whose organisation is not a member. */
  public Future<Long> requireMember(AuthenticatedUser user, UUID roomId) {
    return store
        .lastSeqIfMember(pool, roomId, user.organisationId())
        .map(
            seq -> {
              if (seq == null) {
                throw ApiException.notAMember();
              }
              return seq;
            });
  }

  public Future<Map<UUID, Long>> lastSeqsOf(UUID organisationId) {
    return store.lastSeqsOf(pool, organisationId);
  }

  /** Moves the user's read marker and answers the room's unread count after it. */
  public Future<JsonObject> markRead(AuthenticatedUser user, UUID roomId, long seq) {
    return requireMember(user, roomId)
        .compose(
            last -> store.advanceReadMarker(pool, user.userId(), roomId, seq, Times.now(clock)))
        .compose(done -> view(user, roomId))
        .map(
            room ->
                new JsonObject()
                    .put("room", roomId.toString())
                    .put("readSeq", room.readSeq())
                    .put("unread", room.unread()));
  }
}
