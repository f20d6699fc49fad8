package org.konsil.server.notifications;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;

/** One claimed row of the outbox: what to send to whom, and how often it was tried. */
record OutboxEntry(
    long id,
    String recipient,
    JsonObject payload,
    int attempts,
    OffsetDateTime createdAt,
    String providerId) {

  static final RowMapper<OutboxEntry> MAPPER =
      row ->
          new OutboxEntry(
              row.getLong("id"),
              row.getString("recipient"),
              (JsonObject) row.getValue("payload"),
              row.getInteger("attempts"),
              row.getOffsetDateTime("created_at"),
              row.getString("provider_id"));
}
