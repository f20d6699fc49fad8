package org.konsil.server.rooms;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** How far a user has read a room, and how many messages of others are unread after that. */
public record ReadMarker(UUID room, long readSeq, long unread) {

  /** The REST answer, and with {@code "type": "unread"} the frame to the user's connections. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("room", room.toString())
        .put("readSeq", readSeq)
        .put("unread", unread);
  }
}
