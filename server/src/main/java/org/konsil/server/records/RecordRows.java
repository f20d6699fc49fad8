package org.konsil.server.records;

import io.vertx.sqlclient.Row;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** The rows a room's record is made of, as {@link RecordsStore} reads them. */
final class RecordRows {

  private RecordRows() {}

  /** A room and, for a patient room, its patient. */
  record RoomRow(
      UUID id,
      String kind,
      String title,
      OffsetDateTime createdAt,
      UUID createdByOrganisation,
      PatientRow patient) {

    /** The organisation whose documentation the room is: the patient's, or the creator's. */
    UUID owner() {
      return patient == null ? createdByOrganisation : patient.organisation();
    }
  }

  /** What Konsil holds about a patient. */
  record PatientRow(
      UUID id,
      UUID organisation,
      String familyName,
      String givenName,
      LocalDate birthDate,
      String insuranceNumber,
      String email,
      String mobile,
      OffsetDateTime consentRevokedAt) {}

  record OrganisationRow(
      UUID id,
      String kind,
      String name,
      String street,
      String postalCode,
      String city,
      String email,
      String fax) {}

  /** A stored document: the catalogue entry of a file under the data folder. */
  record FileRow(UUID id, String mediaType, long size, String fileName, OffsetDateTime createdAt) {

    static FileRow from(Row row, String prefix) {
      UUID id = row.getUUID(prefix + "file_id");
      if (id == null) {
        return null;
      }
      return new FileRow(
          id,
          row.getString(prefix + "media_type"),
          row.getLong(prefix + "size_bytes"),
          row.getString(prefix + "file_name"),
          row.getOffsetDateTime(prefix + "file_created_at"));
    }
  }

  /** One version of a patient's consent with the document and the organisations it covers. */
  record ConsentRow(
      UUID id,
      int version,
      String status,
      OffsetDateTime uploadedAt,
      OffsetDateTime revokedAt,
      LocalDate revocationDate,
      FileRow document,
      FileRow revocationDocument,
      List<UUID> organisations) {}

  /** A sender of messages in the room. */
  record SenderRow(UUID userId, String displayName, UUID organisation) {}

  /**
   * A message; the message it quotes or corrects (both in the same room); for an attachment, the
   * file it carries.
   */
  record MessageRow(
      long seq,
      UUID id,
      String kind,
      String content,
      OffsetDateTime sentAt,
      UUID senderUser,
      UUID senderOrganisation,
      UUID replyTo,
      UUID corrects,
      UUID attachmentId,
      FileRow file) {}

  /** An audit event about the room, its patient, consent, attachments or invitations. */
  record AuditRow(
      long id,
      OffsetDateTime occurredAt,
      UUID actorUser,
      UUID actorOrganisation,
      String action,
      String outcome,
      String objectType,
      UUID objectId,
      String details) {}
}
