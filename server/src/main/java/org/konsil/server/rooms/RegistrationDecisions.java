package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.invitations.RoomInvitation;

/**
 * The room owner's answer to an organisation that registered with one of the room's invitations,
 * and the admission into the room that a confirmation brings.
 */
public final class RegistrationDecisions {

  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final InvitationService invitations;
  private final RoomService rooms;
  private final RoomMembership membership;
  private final RoomStore store = new RoomStore();

  public RegistrationDecisions(
      Pool pool,
      Clock clock,
      AuditLog audit,
      InvitationService invitations,
      RoomService rooms,
      RoomMembership membership) {
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
    this.invitations = invitations;
    this.rooms = rooms;
    this.membership = membership;
  }

  /**
   * The owner's answer to an organisation that registered with one of the room's invitations:
   * confirmed, it joins the room (and its connected users start following it); rejected, it stays
   * outside. Only the room's owner answers ({@link RoomService#requireOwner}); both answers are
   * audited.
   */
  public Future<RoomInvitation> decideRegistration(
      AuthenticatedUser user, UUID invitationId, boolean confirm) {
    OffsetDateTime now = Times.now(clock);
    String action = confirm ? "invitation.confirmed" : "invitation.rejected";
    return invitations
        .roomOf(invitationId)
        .compose(
            roomId -> {
              if (roomId == null) {
                return Future.failedFuture(ApiException.notFound("No such invitation."));
              }
              return rooms.requireOwner(user, roomId, action).map(roomId);
            })
        .compose(
            roomId ->
                pool.withTransaction(
                    // the room row before the invitation's, in the order a first message takes
                    // them when it sends the room's invitations
                    tx ->
                        store
                            .lockIfMember(tx, roomId, user.organisationId(), true)
                            .map(RoomMembership::lockedOrRefused)
                            .compose(
                                room ->
                                    invitations
                                        .lockPending(tx, invitationId)
                                        .compose(
                                            pending ->
                                                (confirm
                                                        ? admit(tx, user, pending, now)
                                                        : Future.<Void>succeededFuture())
                                                    .compose(
                                                        done ->
                                                            invitations.decide(
                                                                tx, user, pending, confirm))
                                                    .map(
                                                        done ->
                                                            new Decided(
                                                                pending,
                                                                room.getLong("last_seq")))))))
        .compose(
            decided -> {
              InvitationService.PendingRegistration pending = decided.registration();
              long lastSeq = decided.lastSeq();
              Future<Void> announced =
                  confirm
                      ? store
                          .viewFor(pool, pending.roomId(), user.organisationId(), user.userId())
                          .onSuccess(
                              room ->
                                  membership.announceJoined(
                                      room, lastSeq, List.of(pending.organisationId())))
                          .mapEmpty()
                      : Future.succeededFuture();
              return announced.compose(
                  done -> invitations.shown(invitationId, user.organisationId()));
            });
  }

  /** A registration answered in a transaction, and the room's last sequence number then. */
  private record Decided(InvitationService.PendingRegistration registration, long lastSeq) {}

  /** Makes a confirmed organisation a member (it may be one already, added by hand meanwhile). */
  private Future<Void> admit(
      SqlClient tx,
      AuthenticatedUser user,
      InvitationService.PendingRegistration pending,
      OffsetDateTime now) {
    return store
        .isMember(tx, pending.roomId(), pending.organisationId())
        .compose(
            already ->
                already
                    ? Future.succeededFuture()
                    : store
                        .insertMembers(tx, pending.roomId(), List.of(pending.organisationId()), now)
                        .compose(
                            done ->
                                audit.record(
                                    tx,
                                    AuditEvent.by(user)
                                        .on("room", pending.roomId())
                                        .with("organisation", pending.organisationId())
                                        .with("invitation", pending.invitationId())
                                        .success("room.organisation_added"))));
  }
}
