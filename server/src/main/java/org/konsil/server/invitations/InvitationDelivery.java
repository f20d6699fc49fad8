package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.konsil.fax.FaxNumber;
import org.konsil.fax.InvitationLetter;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.Times;
import org.konsil.server.notifications.FaxOutbox;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;

/**
 * Sends an invitation: a new single-use code, and the letter with it queued by e-mail and/or fax in
 * the caller's transaction. The letters carry no patient data.
 */
final class InvitationDelivery {

  private final Clock clock;
  private final KonsilConfig config;
  private final MailOutbox mail;
  private final FaxOutbox fax;
  private final InvitationStore store;

  InvitationDelivery(
      Clock clock, KonsilConfig config, MailOutbox mail, FaxOutbox fax, InvitationStore store) {
    this.clock = clock;
    this.config = config;
    this.mail = mail;
    this.fax = fax;
    this.store = store;
  }

  /** Makes a new code (the old one stops working) and queues the letter on each channel. */
  Future<Void> send(SqlClient tx, Invitation invitation) {
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
            .compose(done -> store.markSent(tx, id, InvitationCodes.hash(code), now, expires));
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
