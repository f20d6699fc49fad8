package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.http.ApiException;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * Who sees which rooms and who may change them: the rooms of a user's organisation, membership and
 * ownership checks, and the audited refusals. Creation, membership changes, registration decisions
 * and read markers build on these checks in their own classes.
 */
public final class RoomService {

  private final Pool pool;
  private final AuditLog audit;
  private final RoomStore store = new RoomStore();

  public RoomService(Pool pool, AuditLog audit) {
    this.pool = pool;
    this.audit = audit;
  }

  public Future<List<Room>> list(AuthenticatedUser user) {
    return store.listFor(pool, user.organisationId(), user.userId());
  }

  public Future<Room> view(AuthenticatedUser user, UUID roomId) {
    return store
        .viewFor(pool, roomId, user.organisationId(), user.userId())
        .compose(room -> room == null ? refuse(user, roomId) : Future.succeededFuture(room));
  }

  /** The room's last sequence number, refusing anyone whose organisation is not a member. */
  public Future<Long> requireMember(AuthenticatedUser user, UUID roomId) {
    return store
        .lastSeqIfMember(pool, roomId, user.organisationId())
        .compose(seq -> seq == null ? refuse(user, roomId) : Future.succeededFuture(seq));
  }

  /**
   * Refuses unless the user may add organisations to the room: an admin of the organisation that
   * owns it (the patient's, or the creator's for a general room), or the user who created it.
   * Outsiders get {@code not_a_member}, partners {@code not_room_owner}; both refusals are audited,
   * a partner's in the owner's trail too. Ownership never changes, so no lock is needed.
   */
  public Future<Void> requireOwner(AuthenticatedUser user, UUID roomId, String action) {
    return store
        .ownershipIfMember(pool, roomId, user.organisationId())
        .compose(
            row -> {
              if (row == null) {
                return refuse(user, roomId);
              }
              UUID owner = row.getUUID("owner_org");
              if (owner.equals(user.organisationId())
                  && (user.isAdmin() || user.userId().equals(row.getUUID("created_by_user")))) {
                return Future.succeededFuture();
              }
              return Refusals.record(
                      audit,
                      AuditEvent.by(user).on("room", roomId).with("reason", "not_room_owner"),
                      action,
                      owner)
                  .transform(done -> Future.<Void>failedFuture(ApiException.notRoomOwner()));
            });
  }

  /**
   * Refuses a room the user's organisation is not in (or that does not exist), audited; also in the
   * owning organisation's trail when the room exists. The answer is the same either way.
   */
  public <T> Future<T> refuse(AuthenticatedUser user, UUID roomId) {
    return store
        .ownerOf(pool, roomId)
        .otherwiseEmpty()
        .compose(
            owner ->
                Refusals.record(audit, AuditEvent.by(user).on("room", roomId), "room.read", owner))
        .transform(done -> Future.failedFuture(ApiException.notAMember()));
  }

  /**
   * Where each room of the organisation stands (last sequence number, revoked or not), read from
   * the database for a connection that starts following them.
   */
  public Future<List<RoomPosition>> positionsOf(UUID organisationId) {
    return store.positionsOf(pool, organisationId);
  }
}
