package org.konsil.server.records;

import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.Communication;
import org.hl7.fhir.r4.model.StringType;
import org.konsil.server.records.RecordRows.FileRow;
import org.konsil.server.records.RecordRows.MessageRow;
import org.konsil.server.records.RecordRows.RoomRow;
import org.konsil.server.records.RecordRows.SenderRow;

/**
 * A room's messages as FHIR R4 {@code Communication}s: one per message, sent by the sender acting
 * for their organisation ({@code PractitionerRole}), received by the room's other organisations,
 * about the room's patient; a file as an {@code Attachment} with its size and SHA-1; a reply as
 * {@code inResponseTo}, a correction by Konsil's {@code corrects} extension.
 */
final class FhirMessages {

  /** Konsil's extension: this message corrects the referenced one (which stays as it was). */
  static final String CORRECTS = "https://konsil.org/fhir/StructureDefinition/corrects";

  private final RoomRow room;
  private final List<UUID> organisations;
  private final Map<UUID, SenderRow> senders;
  private final FhirRefs refs;
  private final FileDigests digests;

  FhirMessages(
      RoomRow room,
      List<UUID> organisations,
      Map<UUID, SenderRow> senders,
      FhirRefs refs,
      FileDigests digests) {
    this.room = room;
    this.organisations = organisations;
    this.senders = senders;
    this.refs = refs;
    this.digests = digests;
  }

  /** Blocking: reads an attachment's file for its SHA-1. */
  Communication communication(MessageRow message) {
    Communication communication = new Communication();
    communication.setId(message.id().toString());
    communication.addIdentifier(FhirRefs.identifier(message.id()));
    communication.setStatus(Communication.CommunicationStatus.COMPLETED);
    communication
        .addCategory()
        .addCoding()
        .setSystem(FhirRefs.KONSIL_CODES + "message-kind")
        .setCode(message.kind());
    if (room.patient() != null) {
      communication.setSubject(refs.to("Patient", room.patient().id()));
    }
    communication.getTopic().setText(room.title());
    communication.setSent(Date.from(message.sentAt().toInstant()));
    SenderRow sender = message.senderUser() == null ? null : senders.get(message.senderUser());
    if (sender != null) {
      communication.setSender(refs.to("PractitionerRole", FhirPeople.roleId(sender)));
    } else if (message.senderOrganisation() != null) {
      communication.setSender(refs.to("Organization", message.senderOrganisation()));
    }
    if (message.replyTo() != null) {
      communication.addInResponseTo(refs.to("Communication", message.replyTo()));
    }
    if (message.corrects() != null) {
      // R4 has no element for "replaces" on a Communication; the corrected one stays as sent
      communication.addExtension(CORRECTS, refs.to("Communication", message.corrects()));
    }
    for (UUID organisation : organisations) {
      if (!organisation.equals(message.senderOrganisation())) {
        communication.addRecipient(refs.to("Organization", organisation));
      }
    }
    if ("attachment".equals(message.kind()) && message.file() != null) {
      communication
          .addPayload()
          .setContent(
              attachment(
                  message.file(), refs.attachmentUrl(message.attachmentId(), message.file())));
    } else if (!"encrypted".equals(message.kind())) {
      // an end-to-end encrypted message has no content on the server to export
      communication.addPayload().setContent(new StringType(text(message)));
    }
    return communication;
  }

  /** A stored file by reference: its type, where to fetch it, its size and SHA-1. Blocking. */
  Attachment attachment(FileRow file, String url) {
    return attachment(file, url, digests);
  }

  static Attachment attachment(FileRow file, String url, FileDigests digests) {
    Attachment attachment = new Attachment();
    attachment.setContentType(file.mediaType());
    attachment.setUrl(url);
    attachment.setSize((int) Math.min(Integer.MAX_VALUE, file.size()));
    byte[] sha1 = digests.sha1(file.id());
    if (sha1 != null) {
      attachment.setHash(sha1);
    }
    if (file.fileName() != null) {
      attachment.setTitle(file.fileName());
    }
    attachment.setCreation(Date.from(file.createdAt().toInstant()));
    return attachment;
  }

  /** A text, or a system notice as its JSON of codes (a notice has no prose). */
  private static String text(MessageRow message) {
    return message.content();
  }
}
