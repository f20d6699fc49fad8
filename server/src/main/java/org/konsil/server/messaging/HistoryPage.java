package org.konsil.server.messaging;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** A page of a room's history, oldest first, and whether there is more beyond it. */
public record HistoryPage(List<Message> messages, boolean hasMore) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("messages", new JsonArray(messages.stream().map(Message::toJson).toList()))
        .put("hasMore", hasMore);
  }
}
