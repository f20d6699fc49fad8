package org.konsil.server.delivery;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * One delivery as its sender sees it: to whom, how it is verified, where it stands (and its mail
 * and SMS in the outbox); never the document, never the verification value.
 */
public record Delivery(
    UUID id,
    UUID organisationId,
    UUID patientId,
    UUID createdBy,
    OffsetDateTime createdAt,
    String recipient,
    String email,
    String documentKind,
    String verification,
    String valueSource,
    String smsNumber,
    String fileName,
    String mediaType,
    long size,
    OffsetDateTime expiresAt,
    int failedAttempts,
    OffsetDateTime lockedAt,
    OffsetDateTime downloadedAt,
    OffsetDateTime withdrawnAt,
    UUID reissueOf,
    String mailStatus,
    String smsStatus) {

  static final RowMapper<Delivery> MAPPER =
      row ->
          new Delivery(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getUUID("patient_id"),
              row.getUUID("created_by"),
              row.getOffsetDateTime("created_at"),
              row.getString("recipient"),
              row.getString("email"),
              row.getString("document_kind"),
              row.getString("verification"),
              row.getString("value_source"),
              row.getString("sms_number"),
              row.getString("file_name"),
              row.getString("media_type"),
              row.getLong("size_bytes"),
              row.getOffsetDateTime("expires_at"),
              row.getInteger("failed_attempts"),
              row.getOffsetDateTime("locked_at"),
              row.getOffsetDateTime("downloaded_at"),
              row.getOffsetDateTime("withdrawn_at"),
              row.getUUID("reissue_of"),
              row.getString("mail_status"),
              row.getString("sms_status"));

  /** The one state a link is in, in this order: withdrawn, downloaded, locked, expired, open. */
  String state(Instant now) {
    if (withdrawnAt != null) {
      return "withdrawn";
    }
    if (downloadedAt != null) {
      return "downloaded";
    }
    if (lockedAt != null) {
      return "locked";
    }
    if (!expiresAt.toInstant().isAfter(now)) {
      return "expired";
    }
    return "open";
  }

  JsonObject toJson(Instant now) {
    return new JsonObject()
        .put("id", id.toString())
        .put("patientId", patientId.toString())
        .put("createdBy", createdBy.toString())
        .put("createdAt", Times.iso(createdAt))
        .put("recipient", recipient)
        .put("email", email)
        .put("documentKind", documentKind)
        .put("verification", verification)
        .put("valueSource", valueSource)
        .put("smsNumber", smsNumber)
        .put("fileName", fileName)
        .put("mediaType", mediaType)
        .put("size", size)
        .put("state", state(now))
        .put("expiresAt", Times.iso(expiresAt))
        .put("failedAttempts", failedAttempts)
        .put("lockedAt", Times.iso(lockedAt))
        .put("downloadedAt", Times.iso(downloadedAt))
        .put("withdrawnAt", Times.iso(withdrawnAt))
        .put("reissueOf", reissueOf == null ? null : reissueOf.toString())
        .put("mailStatus", mailStatus)
        .put("smsStatus", smsStatus);
  }
}
