package org.konsil.server.outreach;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * One entry of a patient's contact-permission history: a grant (the day the patient signed, and the
 * signed form) or a withdrawal (its day; by staff or through an opt-out link).
 */
public record ContactPermission(
    UUID id,
    UUID patientId,
    String channel,
    String purpose,
    String kind,
    LocalDate date,
    String source,
    UUID documentId,
    UUID recordedBy,
    OffsetDateTime recordedAt) {

  static final RowMapper<ContactPermission> MAPPER =
      row ->
          new ContactPermission(
              row.getUUID("id"),
              row.getUUID("patient_id"),
              row.getString("channel"),
              row.getString("purpose"),
              row.getString("kind"),
              row.getLocalDate("effective_date"),
              row.getString("source"),
              row.getUUID("file_id"),
              row.getUUID("recorded_by"),
              row.getOffsetDateTime("recorded_at"));

  /**
   * Where a permission stands after this entry: {@code granted}, {@code withdrawn} or {@code
   * opted_out} (withdrawn through the link in a message).
   */
  public String status() {
    if ("granted".equals(kind)) {
      return "granted";
    }
    return "opt_out_link".equals(source) ? "opted_out" : "withdrawn";
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("patientId", patientId.toString())
        .put("channel", channel)
        .put("purpose", purpose)
        .put("kind", kind)
        .put("date", date.toString())
        .put("source", source)
        .put("documentId", documentId == null ? null : documentId.toString())
        .put("recordedBy", recordedBy == null ? null : recordedBy.toString())
        .put("recordedAt", Times.iso(recordedAt));
  }
}
