package org.konsil.server.outreach;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** A message text for one channel and language, with harmless macros only. */
public record MessageTemplate(
    UUID id,
    UUID organisationId,
    String name,
    String channel,
    String language,
    String subject,
    String body,
    UUID createdBy,
    OffsetDateTime createdAt) {

  static final RowMapper<MessageTemplate> MAPPER =
      row ->
          new MessageTemplate(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getString("name"),
              row.getString("channel"),
              row.getString("language"),
              row.getString("subject"),
              row.getString("body"),
              row.getUUID("created_by"),
              row.getOffsetDateTime("created_at"));

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("name", name)
        .put("channel", channel)
        .put("language", language)
        .put("subject", subject)
        .put("body", body)
        .put("createdAt", Times.iso(createdAt));
  }
}
