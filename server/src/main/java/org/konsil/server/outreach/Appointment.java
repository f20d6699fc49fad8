package org.konsil.server.outreach;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * A patient's appointment at the practice and where its reminder stands: {@code pending} until due,
 * then {@code sent} (handed to the outbox) or {@code skipped} with the reason.
 */
record Appointment(
    UUID id,
    UUID patientId,
    OffsetDateTime startsAt,
    OffsetDateTime createdAt,
    OffsetDateTime cancelledAt,
    OffsetDateTime remindedAt,
    String reminderState,
    String reminderReason,
    String reminderChannel) {

  static final RowMapper<Appointment> MAPPER =
      row ->
          new Appointment(
              row.getUUID("id"),
              row.getUUID("patient_id"),
              row.getOffsetDateTime("starts_at"),
              row.getOffsetDateTime("created_at"),
              row.getOffsetDateTime("cancelled_at"),
              row.getOffsetDateTime("reminded_at"),
              row.getString("reminder_state"),
              row.getString("reminder_reason"),
              row.getString("reminder_channel"));

  JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("patientId", patientId.toString())
        .put("startsAt", Times.iso(startsAt))
        .put("createdAt", Times.iso(createdAt))
        .put("cancelledAt", cancelledAt == null ? null : Times.iso(cancelledAt))
        .put("reminder", reminderState == null ? "pending" : reminderState)
        .put("reminderReason", reminderReason)
        .put("reminderChannel", reminderChannel)
        .put("remindedAt", remindedAt == null ? null : Times.iso(remindedAt));
  }
}
