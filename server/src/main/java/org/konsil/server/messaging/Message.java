package org.konsil.server.messaging;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** A stored message with what a reader needs to show its sender. */
public record Message(
    UUID room,
    long seq,
    UUID id,
    String kind,
    String content,
    OffsetDateTime sentAt,
    UUID clientMsgId,
    UUID senderId,
    String senderName,
    UUID senderOrganisationId,
    String senderOrganisationName,
    boolean masked) {

  static final RowMapper<Message> MAPPER =
      row ->
          new Message(
              row.getUUID("room_id"),
              row.getLong("seq"),
              row.getUUID("id"),
              row.getString("kind"),
              row.getString("content"),
              row.getOffsetDateTime("sent_at"),
              row.getUUID("client_msg_id"),
              row.getUUID("sender_user_id"),
              row.getString("sender_name"),
              row.getUUID("sender_org_id"),
              row.getString("sender_org_name"),
              Boolean.TRUE.equals(row.getBoolean("masked")));

  public JsonObject toJson() {
    JsonObject sender = null;
    if (senderId != null) {
      sender =
          new JsonObject()
              .put("id", senderId.toString())
              .put("displayName", senderName)
              .put(
                  "organisation",
                  new JsonObject()
                      .put("id", senderOrganisationId.toString())
                      .put("name", senderOrganisationName));
    }
    return new JsonObject()
        .put("room", room.toString())
        .put("seq", seq)
        .put("id", id.toString())
        .put("kind", kind)
        .put("content", masked ? null : content)
        .put("masked", masked)
        .put("sentAt", Times.iso(sentAt))
        .put("clientMsgId", clientMsgId == null ? null : clientMsgId.toString())
        .put("sender", sender);
  }

  /** The same message under the sequence number it was stored with. */
  Message withSeq(long storedSeq) {
    return new Message(
        room,
        storedSeq,
        id,
        kind,
        content,
        sentAt,
        clientMsgId,
        senderId,
        senderName,
        senderOrganisationId,
        senderOrganisationName,
        masked);
  }

  /** The same message with its content shown, for the owner's documentation export. */
  Message unmasked() {
    return new Message(
        room,
        seq,
        id,
        kind,
        content,
        sentAt,
        clientMsgId,
        senderId,
        senderName,
        senderOrganisationId,
        senderOrganisationName,
        false);
  }

  /**
   * A pushed frame with its content withheld: what members see once the patient revoked consent.
   * System notices stay readable.
   */
  static String maskFrame(String frame) {
    JsonObject message = new JsonObject(frame);
    if ("system".equals(message.getString("kind"))) {
      return frame;
    }
    return message.put("content", null).put("masked", true).encode();
  }

  /** The pushed WebSocket frame: the message with {@code "type": "message"}. */
  public String toFrame() {
    return new JsonObject().put("type", "message").mergeIn(toJson()).encode();
  }
}
