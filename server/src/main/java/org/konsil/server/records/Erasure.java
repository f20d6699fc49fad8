package org.konsil.server.records;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** What an erasure removed: counts only, as the audit tombstone keeps them. */
public record Erasure(
    UUID patientId, OffsetDateTime erasedAt, int rooms, long messages, int files) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("patientId", patientId.toString())
        .put("erasedAt", Times.iso(erasedAt))
        .put("rooms", rooms)
        .put("messages", messages)
        .put("files", files);
  }
}
