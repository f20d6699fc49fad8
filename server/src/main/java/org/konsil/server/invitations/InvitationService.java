package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.konsil.fax.FaxNumber;
import org.konsil.fax.InvitationLetter;
import org.konsil.server.accounts.PasswordService;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.accounts.LoginThrottle;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.notifications.FaxOutbox;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.organisations.OrganisationService;

/**
 * Invitations of partners that are not on Konsil yet: created with a room, sent by e-mail and/or
 * fax when the room's first message is sent (or at once), and redeemed with a single-use code that
 * activates the organisation and creates its first admin. The code lets them register, not read:
 * the organisation joins the room once the inviting organisation confirmed the registration.
 */
public final class InvitationService {

  private final Pool pool;
  private final Clock clock;
  private final KonsilConfig config;
  private final MailOutbox mail;
  private final FaxOutbox fax;
  private final PasswordService passwords;
  private final OrganisationService organisations;
  private final AuditLog audit;
  private final LoginThrottle wrongCodes;
  private final OrganisationNotices notices;
  private final InvitationStore store;

  public InvitationService(
      Pool pool,
      Clock clock,
      KonsilConfig config,
      MailOutbox mail,
      FaxOutbox fax,
      PasswordService passwords,
      OrganisationService organisations,
      AuditLog audit,
      OrganisationNotices notices) {
    this.notices = notices;
    this.pool = pool;
    this.clock = clock;
    this.config = config;
    this.mail = mail;
    this.fax = fax;
    this.passwords = passwords;
    this.organisations = organisations;
    this.audit = audit;
    this.wrongCodes = new LoginThrottle(clock, 10, Duration.ofMinutes(15));
    this.store = new InvitationStore(pool);
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
                chain = chain.compose(done -> dispatch(tx, invitation));
              }
              return chain;
            })
        .compose(done -> store.clearPending(tx, room));
  }

  /** Makes a new code (the old one stops working) and queues the letter on each channel. */
  private Future<Void> dispatch(SqlClient tx, Invitation invitation) {
    String code = InvitationCodes.newCode();
    OffsetDateTime now = Times.now(clock);
    OffsetDateTime expires = Times.at(clock.instant().plus(config.invitationTtl()));
    UUID id = invitation.id();
    String url = config.publicUrl() + "/register";
    InvitationLetter letter =
        new InvitationLetter(
            invitation.inviterName(),
            invitation.organisationName(),
            url,
            code,
            LocalDate.ofInstant(expires.toInstant(), ZoneOffset.UTC),
            invitation.language());
    Future<Void> sent =
        store
            .withdrawQueued(tx, id)
            .compose(done -> store.markSent(tx, id, hash(code), now, expires));
    if (invitation.email() != null) {
      sent =
          sent.compose(
              done -> mail.enqueueSecret(tx, invitationMail(invitation.email(), letter), id));
    }
    if (invitation.fax() != null) {
      sent = sent.compose(done -> fax.enqueue(tx, id, new FaxNumber(invitation.fax()), letter));
    }
    return sent;
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

  /**
   * The rooms the user's organisation registered for, each with the inviting organisation and its
   * answer: what a newly registered admin sees instead of a room that waits for confirmation.
   */
  public Future<List<ReceivedInvitation>> received(AuthenticatedUser user) {
    return store
        .received(user.organisationId())
        .map(list -> list.stream().map(ReceivedInvitation::of).toList());
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
                      return dispatch(tx, invitation)
                          .compose(
                              done ->
                                  audit.record(
                                      tx,
                                      AuditEvent.by(user)
                                          .on("invitation", invitationId)
                                          .success("invitation.resent")));
                    }));
  }

  /**
   * Registers an invited organisation with its code: the organisation becomes active and gets its
   * first admin with the given password. Wrong codes from one address are rate limited.
   */
  public Future<Registration> register(
      String code, String adminEmail, String adminName, String password, String address) {
    // Counted from its start, so that codes sent at once cannot all pass before one is counted.
    long wait = wrongCodes.begin(address);
    if (wait > 0) {
      throw ApiException.rateLimited(
          "rate_limited", "Too many wrong codes; try again later.", wait);
    }
    OffsetDateTime now = Times.now(clock);
    InviterNotice[] pushed = {null};
    boolean[] wrongCode = {false};
    // The code is checked before the expensive password hash, so that guessing costs little.
    return store
        .codeState(hash(code), now)
        .compose(
            state -> {
              if (state == InvitationStore.CodeState.REDEEMED) {
                throw codeRedeemed();
              }
              if (state == InvitationStore.CodeState.INVALID) {
                wrongCode[0] = true;
                throw invalidCode();
              }
              return passwords.hashPassword(password);
            })
        .compose(
            passwordHash ->
                pool.withTransaction(
                    tx ->
                        store
                            .byCode(tx, hash(code), now)
                            .compose(
                                invitation ->
                                    redeem(
                                        tx,
                                        invitation,
                                        adminEmail,
                                        adminName,
                                        passwordHash,
                                        now,
                                        pushed))))
        .onSuccess(registered -> notices.push(pushed[0].organisation(), pushed[0].frame()))
        .andThen(done -> wrongCodes.end(address, wrongCode[0]));
  }

  /**
   * In the registration's transaction: activates the invitation's organisation with its first
   * admin, binds the code to that admin and tells the inviter.
   */
  private Future<Registration> redeem(
      SqlClient tx,
      Invitation invitation,
      String adminEmail,
      String adminName,
      String passwordHash,
      OffsetDateTime now,
      InviterNotice[] pushed) {
    if (invitation == null) {
      throw invalidCode();
    }
    if (invitation.redeemed()) {
      throw codeRedeemed();
    }
    UUID organisation = invitation.organisationId();
    return store
        .activate(tx, organisation)
        .compose(done -> organisations.addFirstAdmin(tx, organisation, adminEmail, adminName))
        .compose(
            userId ->
                passwords
                    .setPasswordHash(tx, userId, passwordHash)
                    .compose(done -> store.markUsed(tx, invitation.id(), userId, now))
                    .compose(
                        done ->
                            tellInviter(tx, invitation, userId, adminName, adminEmail, now, pushed))
                    .compose(
                        done ->
                            audit.record(
                                tx,
                                AuditEvent.by(userId, organisation)
                                    .on("invitation", invitation.id())
                                    .with("room", invitation.roomId())
                                    .success("invitation.registered")))
                    .map(
                        done ->
                            new Registration(
                                organisation,
                                userId,
                                invitation.roomId(),
                                "pending",
                                invitation.invitedByOrg(),
                                invitation.inviterName())));
  }

  /** The frame for the inviting organisation's connected users, pushed after the commit. */
  private record InviterNotice(UUID organisation, String frame) {}

  /**
   * In the registration's transaction: a mail to the user who invited (no patient data, no room
   * title: only who registered), and the frame pushed to the inviting organisation after the
   * commit.
   */
  private Future<Void> tellInviter(
      SqlClient tx,
      Invitation invitation,
      UUID adminId,
      String adminName,
      String adminEmail,
      OffsetDateTime now,
      InviterNotice[] pushed) {
    JsonObject frame =
        new JsonObject()
            .put("type", "registration_pending")
            .put("room", invitation.roomId().toString())
            .put("invitation", invitation.id().toString())
            .put(
                "organisation",
                new JsonObject()
                    .put("id", invitation.organisationId().toString())
                    .put("name", invitation.organisationName())
                    .put("kind", invitation.organisationKind()))
            .put(
                "admin",
                new JsonObject()
                    .put("id", adminId.toString())
                    .put("displayName", adminName)
                    .put("email", adminEmail))
            .put("registeredAt", Times.iso(now));
    pushed[0] = new InviterNotice(invitation.invitedByOrg(), frame.encode());
    if (!"active".equals(invitation.inviterStatus())) {
      return Future.succeededFuture();
    }
    return mail.enqueue(
        tx, registrationMail(invitation.inviterEmail(), invitation.organisationName()));
  }

  private MailMessage registrationMail(String to, String organisation) {
    String url = config.publicUrl() + "/";
    String text =
        "Guten Tag,\n\n"
            + organisation
            + " hat sich mit Ihrer Einladung bei Konsil registriert. Die Organisation sieht den"
            + " Raum, zu dem Sie eingeladen haben, erst, wenn Sie oder jemand aus Ihrer"
            + " Organisation die Registrierung bestätigt haben. Prüfen Sie in Konsil, wer sich"
            + " registriert hat, und bestätigen oder lehnen Sie ab:\n\n"
            + url
            + "\n\nDiese Nachricht enthält keine Patientendaten.\n\n---\n\nHello,\n\n"
            + organisation
            + " has registered on Konsil with your invitation. It sees the room you invited it"
            + " to only once you or someone of your organisation confirmed the registration. Check"
            + " in Konsil who registered, then confirm or reject:\n\n"
            + url
            + "\n\nThis message contains no patient data.\n";
    return new MailMessage(to, "Registrierung bestätigen / Confirm a registration – Konsil", text);
  }

  private static ApiException codeRedeemed() {
    return new ApiException(
        410,
        "invitation_code_used",
        "This code has been used to register already; it works once. Log in with the account"
            + " that was registered with it.");
  }

  private static ApiException invalidCode() {
    return new ApiException(
        410,
        "invalid_invitation_code",
        "The code is wrong, used or expired. Ask the inviting organisation to send the invitation"
            + " again.");
  }

  private static byte[] hash(String code) {
    return Secrets.hash(InvitationCodes.normalise(code));
  }

  private static MailMessage invitationMail(String to, InvitationLetter letter) {
    String text =
        "Guten Tag,\n\n"
            + letter.invitingOrganisation()
            + " lädt Sie zu Konsil ein, dem sicheren Messenger für die Zusammenarbeit in der"
            + " Versorgung. Melden Sie sich hier an:\n\n"
            + letter.registrationUrl()
            + "\n\nIhr Code: "
            + letter.code()
            + "\nEr gilt einmal und bis zum "
            + letter.expiresOn()
            + ".\n\nDiese Nachricht enthält keine Patientendaten.\n\n---\n\nHello,\n\n"
            + letter.invitingOrganisation()
            + " invites you to Konsil, the secure messenger for working together in care."
            + " Register here:\n\n"
            + letter.registrationUrl()
            + "\n\nYour code: "
            + letter.code()
            + "\nIt works once and until "
            + letter.expiresOn()
            + ".\n\nThis message contains no patient data.\n";
    return new MailMessage(to, "Einladung zu Konsil / Invitation to Konsil", text);
  }
}
