package org.konsil.server.mailbox;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * One mailbox message as stored: ciphertext, the content key sealed for each side, the sender's
 * signature; the attachments' ciphertexts are fetched one by one.
 */
public record MailboxMessage(
    UUID id,
    UUID mailboxId,
    UUID organisationId,
    UUID patientId,
    String direction,
    UUID senderUserId,
    byte[] envelope,
    byte[] signature,
    byte[] keyForPatient,
    byte[] keyForPractice,
    Integer[] attachmentSizes,
    OffsetDateTime createdAt,
    OffsetDateTime readAt) {

  static final RowMapper<MailboxMessage> MAPPER =
      row ->
          new MailboxMessage(
              row.getUUID("id"),
              row.getUUID("account_id"),
              row.getUUID("organisation_id"),
              row.getUUID("patient_id"),
              row.getString("direction"),
              row.getUUID("sender_user_id"),
              MailboxAccount.bytes(row, "envelope"),
              MailboxAccount.bytes(row, "signature"),
              MailboxAccount.bytes(row, "key_for_patient"),
              MailboxAccount.bytes(row, "key_for_practice"),
              row.getArrayOfIntegers("attachment_sizes"),
              row.getOffsetDateTime("created_at"),
              row.getOffsetDateTime("read_at"));

  /** The message as one side sees it: the content key sealed for that side only. */
  public JsonObject toJson(boolean forPractice) {
    JsonObject json =
        new JsonObject()
            .put("id", id.toString())
            .put("mailboxId", mailboxId.toString())
            .put("direction", direction)
            .put("envelope", MailboxJson.b64(envelope))
            .put("signature", MailboxJson.b64(signature))
            .put("key", MailboxJson.b64(forPractice ? keyForPractice : keyForPatient))
            .put("attachmentSizes", new JsonArray(Arrays.asList(attachmentSizes)))
            .put("createdAt", Times.iso(createdAt))
            .put("readAt", Times.iso(readAt));
    if (forPractice) {
      json.put("patientId", patientId.toString());
      json.put("senderUserId", senderUserId == null ? null : senderUserId.toString());
    }
    return json;
  }
}
