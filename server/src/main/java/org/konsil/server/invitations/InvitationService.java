package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.notifications.FaxOutbox;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.organisations.OrganisationService;

/**
 * Invitations of partners that are not on Konsil yet: created with a room, sent by e-mail and/or
 * fax when the room's first message is sent (or at once, or again with a new code), shown to the
 * room's members, and answered by the inviting organisation once the partner registered ({@link
 * RegistrationService}). The code lets them register, not read: the organisation joins the room
 * once the inviting organisation confirmed the registration.
 */
public final class InvitationService {

  private final Pool pool;
  private final Clock clock;
  private final OrganisationService organisations;
  private final AuditLog audit;
  private final InvitationStore store;
  private final InvitationDelivery delivery;

  public InvitationService(
      Pool pool,
      Clock clock,
      KonsilConfig config,
      MailOutbox mail,
      FaxOutbox fax,
      OrganisationService organisations,
      AuditLog audit) {
    this.pool = pool;
    this.clock = clock;
    this.organisations = organisations;
    this.audit = audit;
    this.store = new InvitationStore(pool);
    this.delivery = new InvitationDelivery(clock, config, mail, fax, store);
  }

  /**
   * In the room-creating transaction: each invitee becomes an {@code invited} organisation with an
   * invitation. They are not members of the room: they join it when the inviter confirms their
   * registration.
   */
  public Future<Void> invite(
      SqlClient tx,
      AuthenticatedUser inviter,
      UUID room,
      List<InviteeRequest> invitees,
      boolean now) {
    OffsetDateTime at = Times.now(clock);
    Future<Void> chain = Future.succeededFuture();
    for (InviteeRequest invitee : invitees) {
      chain = chain.compose(done -> refuseKnown(invitee));
      UUID organisation = UUID.randomUUID();
      UUID invitation = UUID.randomUUID();
      chain =
          chain
              .compose(done -> store.insertInvitedOrganisation(tx, organisation, invitee, at))
              .compose(
                  done ->
                      store.insert(
                          tx,
                          invitation,
                          organisation,
                          room,
                          inviter.userId(),
                          inviter.organisationId(),
                          invitee,
                          at))
              .compose(
                  done ->
                      audit.record(
                          tx,
                          AuditEvent.by(inviter)
                              .on("invitation", invitation)
                              .with("room", room)
                              .with("organisation", organisation)
                              .with("email", invitee.email() != null)
                              .with("fax", invitee.fax() != null)
                              .success("invitation.created")));
    }
    return chain.compose(
        done -> now ? dispatchPending(tx, room) : store.addPending(tx, room, invitees.size()));
  }

  /** An invitee whose e-mail address or fax number an organisation has already is refused. */
  private Future<Void> refuseKnown(InviteeRequest invitee) {
    return organisations
        .byContact(invitee.email(), invitee.fax() == null ? null : invitee.fax().e164())
        .map(
            known -> {
              if (!known.isEmpty()) {
                throw ApiException.conflict(
                    "organisation_exists",
                    "An organisation with this e-mail address or fax number is known already: "
                        + known.get(0).name()
                        + " ("
                        + known.get(0).id()
                        + "). Add it as a partner instead.");
              }
              return null;
            });
  }

  /** In a message's transaction: sends the room's invitations that waited for it. */
  public Future<Void> dispatchPending(SqlClient tx, UUID room) {
    return store
        .unsent(tx, room)
        .compose(
            unsent -> {
              Future<Void> chain = Future.succeededFuture();
              for (Invitation invitation : unsent) {
                chain = chain.compose(done -> delivery.send(tx, invitation));
              }
              return chain;
            })
        .compose(done -> store.clearPending(tx, room));
  }

  /**
   * The invitations of a room with how their e-mails and faxes fared, and each registration with
   * the inviting organisation's answer; for members of the room. Who registered (name, e-mail) is
   * shown to the inviting organisation only.
   */
  public Future<List<RoomInvitation>> ofRoom(UUID room, UUID viewer) {
    return store
        .ofRoom(room)
        .map(list -> list.stream().map(invitation -> invitation.seenBy(viewer)).toList());
  }

  /** One invitation as {@link #ofRoom} shows it. */
  public Future<RoomInvitation> shown(UUID invitationId, UUID viewer) {
    return store.shownById(invitationId).map(invitation -> invitation.seenBy(viewer));
  }

  /** A registration that waits for the inviting organisation's answer. */
  public record PendingRegistration(UUID invitationId, UUID roomId, UUID organisationId) {}

  /** The room an invitation belongs to, or null for an unknown id. */
  public Future<UUID> roomOf(UUID invitationId) {
    return store
        .shownById(invitationId)
        .map(invitation -> invitation == null ? null : invitation.roomId());
  }

  /**
   * Locks the invitation for the inviting organisation's answer; refused with {@code
   * registration_not_pending} unless its organisation registered and no answer was given yet.
   */
  public Future<PendingRegistration> lockPending(SqlClient tx, UUID invitationId) {
    return store
        .byId(tx, invitationId)
        .map(
            invitation -> {
              if (invitation == null) {
                throw ApiException.notFound("No such invitation.");
              }
              if (!invitation.redeemed() || invitation.decision() != null) {
                throw ApiException.conflict(
                    "registration_not_pending",
                    !invitation.redeemed()
                        ? "Nobody has registered with this invitation yet."
                        : "This registration has been " + invitation.decision() + " already.");
              }
              return new PendingRegistration(
                  invitationId, invitation.roomId(), invitation.organisationId());
            });
  }

  /** Records the answer to a registration, audited, in the caller's transaction. */
  public Future<Void> decide(
      SqlClient tx, AuthenticatedUser user, PendingRegistration registration, boolean confirmed) {
    String decision = confirmed ? "confirmed" : "rejected";
    return store
        .decide(tx, registration.invitationId(), decision, user.userId(), Times.now(clock))
        .compose(
            done ->
                audit.record(
                    tx,
                    AuditEvent.by(user)
                        .on("invitation", registration.invitationId())
                        .with("room", registration.roomId())
                        .with("organisation", registration.organisationId())
                        .success("invitation." + decision)));
  }

  /** Sends an invitation again with a new code; only the inviting organisation may. */
  public Future<Void> resend(AuthenticatedUser user, UUID invitationId) {
    return pool.withTransaction(
        tx ->
            store
                .byId(tx, invitationId)
                .compose(
                    invitation -> {
                      if (invitation == null
                          || !invitation.invitedByOrg().equals(user.organisationId())) {
                        throw ApiException.notFound("No such invitation.");
                      }
                      if (invitation.redeemed()) {
                        throw ApiException.conflict(
                            "invitation_used", "The organisation has registered already.");
                      }
                      return delivery
                          .send(tx, invitation)
                          .compose(
                              done ->
                                  audit.record(
                                      tx,
                                      AuditEvent.by(user)
                                          .on("invitation", invitationId)
                                          .success("invitation.resent")));
                    }));
  }
}
