package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.server.accounts.LoginThrottle;
import org.konsil.server.accounts.PasswordService;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.organisations.OrganisationService;

/**
 * Registering with an invitation code: the invited organisation becomes active with its first
 * admin, and the inviting organisation is told, by mail and at once to its connected users, that a
 * registration waits for its answer. The code lets the organisation register, not read.
 */
public final class RegistrationService {

  private final Pool pool;
  private final Clock clock;
  private final KonsilConfig config;
  private final MailOutbox mail;
  private final PasswordService passwords;
  private final OrganisationService organisations;
  private final AuditLog audit;
  private final OrganisationNotices notices;
  private final LoginThrottle wrongCodes;
  private final InvitationStore store;

  public RegistrationService(
      Pool pool,
      Clock clock,
      KonsilConfig config,
      MailOutbox mail,
      PasswordService passwords,
      OrganisationService organisations,
      AuditLog audit,
      OrganisationNotices notices) {
    this.pool = pool;
    this.clock = clock;
    this.config = config;
    this.mail = mail;
    this.passwords = passwords;
    this.organisations = organisations;
    this.audit = audit;
    this.notices = notices;
    this.wrongCodes = new LoginThrottle(clock, 10, Duration.ofMinutes(15));
    this.store = new InvitationStore(pool);
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
        .codeState(InvitationCodes.hash(code), now)
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
                            .byCode(tx, InvitationCodes.hash(code), now)
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

  /**
   * The rooms the user's organisation registered for, each with the inviting organisation and its
   * answer: what a newly registered admin sees instead of a room that waits for confirmation.
   */
  public Future<List<ReceivedInvitation>> received(AuthenticatedUser user) {
    return store
        .received(user.organisationId())
        .map(list -> list.stream().map(ReceivedInvitation::of).toList());
  }
}
