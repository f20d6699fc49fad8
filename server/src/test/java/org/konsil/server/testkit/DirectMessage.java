package org.konsil.server.testkit;

import java.time.Instant;
import java.util.UUID;

/**
 * SQL that stores a text message the way the send statement does, bypassing the server: under the
 * room's next sequence number, the room moved on with it. What a statement leaves behind when it
 * committed but its answer or its live event never came (tests of lost answers and races).
 */
public record DirectMessage(
    UUID room, UUID id, UUID sender, UUID organisation, UUID clientMsgId, String content) {

  /** A message with ids of its own. */
  public static DirectMessage text(UUID room, UUID sender, UUID organisation, String content) {
    return new DirectMessage(
        room, UUID.randomUUID(), sender, organisation, UUID.randomUUID(), content);
  }

  /** The same message under this client id. */
  public DirectMessage withClientMsgId(UUID clientMsgId) {
    return new DirectMessage(room, id, sender, organisation, clientMsgId, content);
  }

  /** One statement: the room's sequence and time move on, the message is stored at the new seq. */
  public String sql(Instant sentAt) {
    return "WITH moved AS (UPDATE rooms SET last_seq = last_seq + 1, last_message_at = '"
        + sentAt
        + "' WHERE id = '"
        + room
        + "' RETURNING last_seq) INSERT INTO messages (room_id, seq, id, sender_user_id,"
        + " sender_org_id, client_msg_id, kind, content, sent_at) SELECT '"
        + room
        + "', last_seq, '"
        + id
        + "', '"
        + sender
        + "', '"
        + organisation
        + "', '"
        + clientMsgId
        + "', 'text', '"
        + content.replace("'", "''")
        + "', '"
        + sentAt
        + "' FROM moved";
  }
}
