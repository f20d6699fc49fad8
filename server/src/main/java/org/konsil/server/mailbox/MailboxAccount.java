package org.konsil.server.mailbox;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** A patient's mailbox at the practice that invited them, with its public and wrapped keys. */
public record MailboxAccount(
    UUID id,
    UUID organisationId,
    String organisationName,
    UUID patientId,
    String email,
    String status,
    byte[] salt,
    Integer iterations,
    String loginHash,
    byte[] x25519Public,
    byte[] ed25519Public,
    byte[] wrappedPrivate,
    OffsetDateTime lockedUntil,
    OffsetDateTime createdAt,
    OffsetDateTime registeredAt,
    OffsetDateTime registrationExpiresAt,
    OffsetDateTime recoveryCreatedAt) {

  static final RowMapper<MailboxAccount> MAPPER =
      row ->
          new MailboxAccount(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getString("organisation_name"),
              row.getUUID("patient_id"),
              row.getString("email"),
              row.getString("status"),
              bytes(row, "salt"),
              row.getInteger("iterations"),
              row.getString("login_hash"),
              bytes(row, "x25519_public"),
              bytes(row, "ed25519_public"),
              bytes(row, "wrapped_private"),
              row.getOffsetDateTime("locked_until"),
              row.getOffsetDateTime("created_at"),
              row.getOffsetDateTime("registered_at"),
              row.getOffsetDateTime("registration_expires_at"),
              row.getOffsetDateTime("recovery_created_at"));

  static byte[] bytes(Row row, String column) {
    Buffer buffer = row.getBuffer(column);
    return buffer == null ? null : buffer.getBytes();
  }

  public boolean active() {
    return "active".equals(status);
  }

  /** What the practice sees of the mailbox: its state and the patient's public keys. */
  public JsonObject toPracticeJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("patientId", patientId.toString())
        .put("email", email)
        .put("status", status)
        .put("createdAt", Times.iso(createdAt))
        .put("registeredAt", Times.iso(registeredAt))
        .put("x25519Public", MailboxJson.b64(x25519Public))
        .put("ed25519Public", MailboxJson.b64(ed25519Public));
  }
}
