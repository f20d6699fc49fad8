package org.konsil.server.rooms;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** How far another user has read a room: what the sender of a message sees as "read". */
public record Receipt(
    UUID room,
    UUID userId,
    String displayName,
    UUID organisationId,
    String organisationName,
    long readSeq,
    OffsetDateTime readAt) {

  /** An item of {@code GET /rooms/{id}/receipts}, and with {@code "type"} the live frame. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("room", room.toString())
        .put(
            "user",
            new JsonObject()
                .put("id", userId.toString())
                .put("displayName", displayName)
                .put(
                    "organisation",
                    new JsonObject()
                        .put("id", organisationId.toString())
                        .put("name", organisationName)))
        .put("readSeq", readSeq)
        .put("readAt", Times.iso(readAt));
  }
}
