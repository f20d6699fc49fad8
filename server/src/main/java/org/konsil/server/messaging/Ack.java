package org.konsil.server.messaging;

import io.vertx.core.json.JsonObject;
import org.konsil.server.http.Times;

/**
 * The answer to a send once the message is committed: the stored message, and whether it had been
 * stored before under the same client message id (then nothing was stored again).
 */
public record Ack(Message message, boolean duplicate) {

  /** The fields of the {@code ack} frame and of the REST answer. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("clientMsgId", message.clientMsgId().toString())
        .put("room", message.room().toString())
        .put("seq", message.seq())
        .put("id", message.id().toString())
        .put("sentAt", Times.iso(message.sentAt()))
        .put("duplicate", duplicate);
  }
}
