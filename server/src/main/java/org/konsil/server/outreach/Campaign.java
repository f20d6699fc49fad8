package org.konsil.server.outreach;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** A message to many patients: its channel, purpose and template, and how far sending got. */
public record Campaign(
    UUID id,
    UUID organisationId,
    String name,
    String channel,
    String purpose,
    UUID templateId,
    String status,
    OffsetDateTime createdAt,
    OffsetDateTime sendStartedAt,
    OffsetDateTime finishedAt,
    Counts counts) {

  /** How many recipients are in each state. */
  public record Counts(long listed, long notSelected, long queued, long sent, long failed) {
    JsonObject toJson() {
      return new JsonObject()
          .put("listed", listed)
          .put("notSelected", notSelected)
          .put("queued", queued)
          .put("sent", sent)
          .put("failed", failed);
    }
  }

  static final RowMapper<Campaign> MAPPER =
      row ->
          new Campaign(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getString("name"),
              row.getString("channel"),
              row.getString("purpose"),
              row.getUUID("template_id"),
              row.getString("status"),
              row.getOffsetDateTime("created_at"),
              row.getOffsetDateTime("send_started_at"),
              row.getOffsetDateTime("finished_at"),
              new Counts(
                  row.getLong("listed"),
                  row.getLong("not_selected"),
                  row.getLong("queued"),
                  row.getLong("sent"),
                  row.getLong("failed")));

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("name", name)
        .put("channel", channel)
        .put("purpose", purpose)
        .put("templateId", templateId.toString())
        .put("status", status)
        .put("createdAt", Times.iso(createdAt))
        .put("sendStartedAt", Times.iso(sendStartedAt))
        .put("finishedAt", Times.iso(finishedAt))
        .put("recipients", counts.toJson());
  }
}
