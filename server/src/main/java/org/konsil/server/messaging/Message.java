package org.konsil.server.messaging;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * A stored message with what a reader needs to show its sender, the message it quotes, the message
 * it corrects, and (for a corrected message) its newest correction. An {@code encrypted} message
 * has no content; it names the sender's device and carries envelopes: all of them while it goes to
 * the gateways, the reading device's own (or none) when it was read back from storage.
 */
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
    boolean masked,
    Relations relations,
    Integer senderDevice,
    List<Envelope> envelopes) {

  static final String ENCRYPTED = "encrypted";

  /** A message that is not encrypted. */
  public Message(
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
      boolean masked,
      Relations relations) {
    this(
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
        masked,
        relations,
        null,
        List.of());
  }

  /** A message without a quote and without a correction. */
  public Message(
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
    this(
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
        masked,
        Relations.NONE);
  }

  /** The earlier message of the same room a message quotes, as shown above the reply. */
  public record Quote(UUID id, long seq, String kind, String senderName, String excerpt) {

    /** Quotes show at most this many characters of the quoted text. */
    static final int EXCERPT = 200;

    JsonObject toJson(boolean masked) {
      return new JsonObject()
          .put("id", id.toString())
          .put("seq", seq)
          .put("kind", kind)
          .put("senderName", senderName)
          .put("excerpt", masked ? null : excerpt);
    }
  }

  /** The newest correction of a message: its own row, linked to the corrected one. */
  public record Correction(UUID id, long seq, String content, OffsetDateTime sentAt) {

    JsonObject toJson(boolean masked) {
      return new JsonObject()
          .put("id", id.toString())
          .put("seq", seq)
          .put("content", masked ? null : content)
          .put("sentAt", Times.iso(sentAt));
    }
  }

  /**
   * How a message relates to others: the message it quotes, the message it corrects (a correction
   * is a message of its own, the corrected one stays as it was), and the newest correction of it.
   */
  public record Relations(Quote replyTo, UUID corrects, Correction correction) {
    public static final Relations NONE = new Relations(null, null, null);
  }

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
              Boolean.TRUE.equals(row.getBoolean("masked")),
              relations(row),
              row.getInteger("sender_device"),
              envelopeOf(row));

  /**
   * The envelope of the reading device that the query joined in ({@code envelope_type}, {@code
   * envelope_ciphertext}; null when there is none).
   */
  private static List<Envelope> envelopeOf(io.vertx.sqlclient.Row row) {
    Buffer ciphertext = row.getBuffer("envelope_ciphertext");
    if (ciphertext == null) {
      return List.of();
    }
    return List.of(new Envelope(null, 0, row.getInteger("envelope_type"), ciphertext.getBytes()));
  }

  boolean encrypted() {
    return ENCRYPTED.equals(kind);
  }

  private static Relations relations(io.vertx.sqlclient.Row row) {
    UUID quoted = row.getUUID("q_id");
    UUID corrected = row.getUUID("c_id");
    UUID corrects = row.getUUID("corrects");
    if (quoted == null && corrected == null && corrects == null) {
      return Relations.NONE;
    }
    return new Relations(
        quoted == null
            ? null
            : new Quote(
                quoted,
                row.getLong("q_seq"),
                row.getString("q_kind"),
                row.getString("q_sender"),
                row.getString("q_excerpt")),
        corrects,
        corrected == null
            ? null
            : new Correction(
                corrected,
                row.getLong("c_seq"),
                row.getString("c_content"),
                row.getOffsetDateTime("c_sent_at")));
  }

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
    JsonObject json =
        new JsonObject()
            .put("room", room.toString())
            .put("seq", seq)
            .put("id", id.toString())
            .put("kind", kind)
            .put("content", masked || encrypted() ? null : content)
            .put("masked", masked)
            .put("sentAt", Times.iso(sentAt))
            .put("clientMsgId", clientMsgId == null ? null : clientMsgId.toString())
            .put("sender", sender);
    if (relations.replyTo() != null) {
      json.put("replyTo", relations.replyTo().toJson(masked));
    }
    if (relations.corrects() != null) {
      json.put("corrects", relations.corrects().toString());
    }
    if (relations.correction() != null) {
      json.put("correction", relations.correction().toJson(masked));
    }
    if (encrypted()) {
      json.put("senderDevice", senderDevice)
          .put("envelope", masked || envelopes.isEmpty() ? null : envelopes.get(0).toJson());
    }
    return json;
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
        masked,
        relations,
        senderDevice,
        envelopes);
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
        false,
        relations,
        senderDevice,
        envelopes);
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
    JsonObject quote = message.getJsonObject("replyTo");
    if (quote != null) {
      quote.put("excerpt", null);
    }
    JsonObject correction = message.getJsonObject("correction");
    if (correction != null) {
      correction.put("content", null);
    }
    message.put("content", null).put("masked", true);
    if (ENCRYPTED.equals(message.getString("kind"))) {
      message.remove("envelopes");
      message.put("envelope", null);
    }
    return message.encode();
  }

  /**
   * A live frame of an encrypted message as one connection receives it: the envelope of its device
   * and no other, none for a connection that named no device (it sees that a message came, who sent
   * it and when).
   */
  static String frameForDevice(String frame, UUID user, Integer device) {
    JsonObject message = new JsonObject(frame);
    if (!ENCRYPTED.equals(message.getString("kind"))) {
      return frame;
    }
    Object all = message.remove("envelopes");
    JsonObject own = null;
    if (device != null && all instanceof JsonArray envelopes) {
      String userId = user.toString();
      for (Object item : envelopes) {
        JsonObject envelope = (JsonObject) item;
        if (envelope.getInteger("deviceId") == device.intValue()
            && userId.equals(envelope.getString("userId"))) {
          own = new JsonObject().put("type", envelope.getInteger("type"));
          own.put("ciphertext", envelope.getString("ciphertext"));
          break;
        }
      }
    }
    return message.put("envelope", own).encode();
  }

  /**
   * The frame the gateways get: for an encrypted message every envelope, addressed, which each
   * connection narrows down to its own with {@link #frameForDevice}.
   */
  String toLiveFrame() {
    JsonObject frame = new JsonObject().put("type", "message").mergeIn(toJson());
    if (encrypted()) {
      frame.remove("envelope");
      frame.put(
          "envelopes", new JsonArray(envelopes.stream().map(Envelope::toAddressedJson).toList()));
    }
    return frame.encode();
  }

  /** The pushed WebSocket frame: the message with {@code "type": "message"}. */
  public String toFrame() {
    return new JsonObject().put("type", "message").mergeIn(toJson()).encode();
  }
}
