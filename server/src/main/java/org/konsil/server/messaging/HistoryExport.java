package org.konsil.server.messaging;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.pdf.PdfText;
import org.konsil.server.rooms.Room;

/** A room's complete, unmasked history as a PDF: the documentation record of its owner. */
final class HistoryExport {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'");

  private HistoryExport() {}

  static byte[] render(
      Room room, List<Message> messages, AuthenticatedUser by, OffsetDateTime now) {
    try (PdfText pdf = new PdfText()) {
      pdf.heading("Konsil - Verlauf / History: " + room.title());
      pdf.small("Raum / Room " + room.id() + ", " + room.kind());
      if (room.patient() != null) {
        JsonObject patient = room.patient();
        pdf.paragraph(
            "Patient: "
                + patient.getString("givenName")
                + " "
                + patient.getString("familyName")
                + ", * "
                + patient.getString("birthDate"));
      }
      StringBuilder members = new StringBuilder("Einrichtungen / Organisations: ");
      for (Object item : room.organisations()) {
        JsonObject organisation = (JsonObject) item;
        members.append(organisation.getString("name")).append("; ");
      }
      pdf.paragraph(members.toString());
      if (room.consent() != null) {
        pdf.paragraph(
            "Einwilligung / Consent: Version "
                + room.consent().getInteger("version")
                + ", "
                + room.consent().getString("uploadedAt")
                + ", "
                + room.consent().getString("uploadedBy"));
      }
      if (room.consentRevokedAt() != null) {
        pdf.paragraph(
            "Widerrufen / Revoked: "
                + TIME.format(room.consentRevokedAt().withOffsetSameInstant(ZoneOffset.UTC)));
      }
      pdf.small(
          "Exportiert / Exported "
              + TIME.format(now.withOffsetSameInstant(ZoneOffset.UTC))
              + " von / by "
              + by.displayName()
              + " ("
              + by.organisationName()
              + "), "
              + messages.size()
              + " Nachrichten / messages");
      pdf.space(8);
      Map<UUID, Long> seqs = new HashMap<>();
      messages.forEach(message -> seqs.put(message.id(), message.seq()));
      for (Message message : messages) {
        String who =
            message.senderId() == null
                ? "Konsil"
                : message.senderName() + " (" + message.senderOrganisationName() + ")";
        pdf.subheading(
            "#"
                + message.seq()
                + "  "
                + TIME.format(message.sentAt().withOffsetSameInstant(ZoneOffset.UTC))
                + "  "
                + who);
        pdf.paragraph(describe(message, seqs));
      }
      return pdf.toBytes();
    }
  }

  private static String describe(Message message, Map<UUID, Long> seqs) {
    if ("attachment".equals(message.kind())) {
      JsonObject file = new JsonObject(message.content());
      return "Anhang / Attachment: "
          + file.getString("fileName", "-")
          + " ("
          + file.getString("mediaType")
          + ", "
          + file.getLong("size")
          + " bytes, SHA-256 "
          + file.getString("sha256")
          + ")";
    }
    if ("system".equals(message.kind())) {
      JsonObject notice = new JsonObject(message.content());
      if ("consent_revoked".equals(notice.getString("event"))) {
        return "Einwilligung widerrufen am / consent revoked on "
            + notice.getString("revocationDate");
      }
      return notice.encode();
    }
    Message.Relations relations = message.relations();
    if (relations.corrects() != null) {
      // the corrected message stays above as it was sent: both are the documentation
      return "Korrektur von / correction of #"
          + seqs.getOrDefault(relations.corrects(), 0L)
          + ": "
          + message.content();
    }
    if (relations.replyTo() != null) {
      return "Antwort auf / Reply to #" + relations.replyTo().seq() + ": " + message.content();
    }
    return message.content();
  }
}
