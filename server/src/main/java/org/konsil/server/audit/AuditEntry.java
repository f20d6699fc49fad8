package org.konsil.server.audit;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * One event of an organisation's audit trail as its administrators read it; {@code reference}
 * stands for the event's id (see {@link AuditRefs}), which is not shown.
 */
public record AuditEntry(
    String reference,
    OffsetDateTime occurredAt,
    UUID actorUserId,
    UUID actorOrganisationId,
    String action,
    String outcome,
    String objectType,
    UUID objectId,
    JsonObject details) {

  /** The row of {@code audit_events} under the reference that stands for its id. */
  static AuditEntry from(Row row, String reference) {
    return new AuditEntry(
        reference,
        row.getOffsetDateTime("occurred_at"),
        row.getUUID("actor_user_id"),
        row.getUUID("actor_org_id"),
        row.getString("action"),
        row.getString("outcome"),
        row.getString("object_type"),
        row.getUUID("object_id"),
        new JsonObject(row.getString("details")));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", reference)
        .put("occurredAt", Times.iso(occurredAt))
        .put("actorUserId", str(actorUserId))
        .put("actorOrganisationId", str(actorOrganisationId))
        .put("action", action)
        .put("outcome", outcome)
        .put("objectType", objectType)
        .put("objectId", str(objectId))
        .put("details", details.copy());
  }

  private static String str(UUID id) {
    return id == null ? null : id.toString();
  }
}
