package org.konsil.client.live;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import org.konsil.client.event.RoomMessage;

/** Server frames (docs/asyncapi.yaml) read into the client's records. */
public final class Frames {

  private Frames() {}

  static RoomMessage message(JsonObject frame) {
    JsonObject sender = frame.getJsonObject("sender");
    JsonObject organisation = sender == null ? null : sender.getJsonObject("organisation");
    return new RoomMessage(
        uuid(frame.getString("room")),
        frame.getLong("seq"),
        uuid(frame.getString("id")),
        frame.getString("kind"),
        frame.getString("content"),
        frame.getBoolean("masked", false),
        Instant.parse(frame.getString("sentAt")),
        uuid(frame.getString("clientMsgId")),
        sender == null ? null : uuid(sender.getString("id")),
        sender == null ? null : sender.getString("displayName"),
        organisation == null ? null : uuid(organisation.getString("id")),
        organisation == null ? null : organisation.getString("name"),
        frame.getInteger("senderDevice", 0),
        envelope(frame.getJsonObject("envelope")));
  }

  private static RoomMessage.Envelope envelope(JsonObject envelope) {
    if (envelope == null) {
      return null;
    }
    return new RoomMessage.Envelope(
        envelope.getInteger("type"), Base64.getDecoder().decode(envelope.getString("ciphertext")));
  }

  /** An acknowledgement, from an {@code ack} frame or the REST answer of a send. */
  public static Ack ack(JsonObject frame) {
    return new Ack(
        uuid(frame.getString("room")),
        frame.getLong("seq"),
        uuid(frame.getString("id")),
        uuid(frame.getString("clientMsgId")),
        Instant.parse(frame.getString("sentAt")),
        frame.getBoolean("duplicate", false));
  }

  static UUID uuid(String text) {
    return text == null ? null : UUID.fromString(text);
  }
}
