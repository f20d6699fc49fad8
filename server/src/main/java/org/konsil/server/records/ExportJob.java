package org.konsil.server.records;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** A bulk export of an organisation's rooms and how far it got. */
public record ExportJob(
    UUID id,
    UUID organisationId,
    String status,
    int roomsTotal,
    int roomsDone,
    long bytes,
    OffsetDateTime createdAt,
    OffsetDateTime finishedAt) {

  static final RowMapper<ExportJob> MAPPER =
      row ->
          new ExportJob(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getString("status"),
              row.getInteger("rooms_total"),
              row.getInteger("rooms_done"),
              row.getLong("size_bytes"),
              row.getOffsetDateTime("created_at"),
              row.getOffsetDateTime("finished_at"));

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("status", status)
        .put("roomsTotal", roomsTotal)
        .put("roomsDone", roomsDone)
        .put("bytes", bytes)
        .put("createdAt", Times.iso(createdAt))
        .put("finishedAt", Times.iso(finishedAt));
  }
}
