package org.konsil.server.outreach;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * One patient on a campaign's list and where sending stands for them; {@code delivery} is the
 * outbox row's status for e-mail and SMS (queued, sending, sent, failed), null otherwise.
 */
public record Recipient(
    UUID patientId,
    String familyName,
    String givenName,
    int position,
    String state,
    String reason,
    String address,
    String delivery,
    OffsetDateTime updatedAt) {

  static final RowMapper<Recipient> MAPPER =
      row ->
          new Recipient(
              row.getUUID("patient_id"),
              row.getString("family_name"),
              row.getString("given_name"),
              row.getInteger("position"),
              row.getString("state"),
              row.getString("reason"),
              row.getString("address"),
              row.getString("delivery"),
              row.getOffsetDateTime("updated_at"));

  public JsonObject toJson() {
    return new JsonObject()
        .put("patientId", patientId.toString())
        .put("familyName", familyName)
        .put("givenName", givenName)
        .put("state", state)
        .put("reason", reason)
        .put("address", address == null ? null : address.replace('\n', ','))
        .put("delivery", delivery)
        .put("updatedAt", Times.iso(updatedAt));
  }
}
