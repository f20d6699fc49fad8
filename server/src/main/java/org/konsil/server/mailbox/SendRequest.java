package org.konsil.server.mailbox;

import java.util.List;
import java.util.UUID;
import org.konsil.server.http.Json;

/** A message as the sender's browser encrypted and signed it. */
public record SendRequest(
    UUID id,
    byte[] envelope,
    List<byte[]> attachments,
    byte[] keyForPatient,
    byte[] keyForPractice,
    byte[] signature) {

  /** Ciphertext of the subject, text and attachment list. */
  static final int MAX_ENVELOPE = 256 * 1024;

  static final int MAX_ATTACHMENTS = 20;

  static SendRequest from(Json body, int maxBytes) {
    return new SendRequest(
        body.requiredUuid("id"),
        MailboxJson.bytes(body, "envelope", 28, MAX_ENVELOPE),
        MailboxJson.list(body, "attachments", MAX_ATTACHMENTS, maxBytes),
        MailboxJson.bytes(body, "keyForPatient", 92, 92),
        MailboxJson.bytes(body, "keyForPractice", 92, 92),
        MailboxJson.bytes(body, "signature", 64, 64));
  }
}
