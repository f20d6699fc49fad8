package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Rows;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.rooms.RoomService;

/**
 * Checks what a new message refers to before it is stored: the earlier message of the same room it
 * quotes, or the own text message it corrects (within {@link #CORRECTION_WINDOW} of sending it).
 * The sender's organisation must be a member of the room first, so that nobody learns anything
 * about another room's messages. A retry of a message stored before is not checked again: the
 * writer answers it with its first acknowledgement.
 */
final class MessageRelations {

  /** How long after sending a text message its sender may correct it. */
  static final Duration CORRECTION_WINDOW = Duration.ofMinutes(15);

  private static final String TARGET =
      """
      SELECT EXISTS (SELECT 1 FROM messages e
                      WHERE e.sender_user_id = #{sender} AND e.client_msg_id = #{cmid}) AS seen,
             t.id, t.seq, t.kind, t.sender_user_id, t.sent_at, t.corrects, t.sender_name,
             t.excerpt
        FROM (SELECT 1) one LEFT JOIN LATERAL (
          SELECT m.id, m.seq, m.kind, m.sender_user_id, m.sent_at, m.corrects,
                 u.display_name AS sender_name,
                 left(coalesce((SELECT x.content FROM messages x WHERE x.corrects = m.id
                                 ORDER BY x.seq DESC LIMIT 1), m.content), %d) AS excerpt
            FROM messages m LEFT JOIN users u ON u.id = m.sender_user_id
           WHERE m.id = #{target} AND m.room_id = #{room}) t ON true"""
          .formatted(Message.Quote.EXCERPT);

  private final Pool pool;
  private final RoomService rooms;

  MessageRelations(Pool pool, RoomService rooms) {
    this.pool = pool;
    this.rooms = rooms;
  }

  /**
   * The relations of a message to be stored: none, a quote, or a correction. Refuses a room the
   * user's organisation is not a member of ({@code not_a_member}, audited), a quoted message that
   * is not one of this room ({@code quoted_message_not_found}), and a correction of anything but
   * the user's own text message of this room ({@code corrected_message_not_found}, {@code
   * correction_not_own}) or one sent more than 15 minutes ago ({@code correction_too_late}).
   */
  Future<Message.Relations> check(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      UUID replyTo,
      UUID corrects,
      OffsetDateTime now) {
    if (replyTo == null && corrects == null) {
      return Future.succeededFuture(Message.Relations.NONE);
    }
    if (replyTo != null && corrects != null) {
      return Future.failedFuture(
          ApiException.validation("Give 'replyTo' or 'corrects', not both."));
    }
    UUID target = replyTo != null ? replyTo : corrects;
    Map<String, Object> p = new HashMap<>();
    p.put("sender", user.userId());
    p.put("cmid", clientMsgId);
    p.put("target", target);
    p.put("room", room);
    return rooms
        .requireMember(user, room)
        .compose(member -> SqlTemplate.forQuery(pool, TARGET).execute(p))
        .map(Rows::firstOrNull)
        .map(
            row -> {
              boolean found = row.getUUID("id") != null;
              if (row.getBoolean("seen")) {
                // a retry: the writer answers the first ack (or refuses a reused id)
                return found && replyTo != null
                    ? new Message.Relations(quote(row), null, null)
                    : new Message.Relations(null, corrects, null);
              }
              return replyTo != null ? asQuote(row, found) : asCorrection(user, row, found, now);
            });
  }

  private static Message.Relations asQuote(Row row, boolean found) {
    if (!found || row.getUUID("corrects") != null) {
      throw new ApiException(
          422,
          "quoted_message_not_found",
          "'replyTo' is not a message of this room (quote the message a correction corrects).");
    }
    return new Message.Relations(quote(row), null, null);
  }

  private static Message.Quote quote(Row row) {
    return new Message.Quote(
        row.getUUID("id"),
        row.getLong("seq"),
        row.getString("kind"),
        row.getString("sender_name"),
        row.getString("excerpt"));
  }

  private static Message.Relations asCorrection(
      AuthenticatedUser user, Row row, boolean found, OffsetDateTime now) {
    if (!found) {
      throw notCorrectable();
    }
    if (!user.userId().equals(row.getUUID("sender_user_id"))) {
      throw ApiException.forbidden(
          "correction_not_own", "Only the sender of a message may correct it.");
    }
    if (!"text".equals(row.getString("kind")) || row.getUUID("corrects") != null) {
      throw notCorrectable();
    }
    if (row.getOffsetDateTime("sent_at").plus(CORRECTION_WINDOW).isBefore(now)) {
      throw ApiException.conflict(
          "correction_too_late",
          "A message can be corrected within 15 minutes of sending it; send a new one.");
    }
    return new Message.Relations(null, row.getUUID("id"), null);
  }

  private static ApiException notCorrectable() {
    return new ApiException(
        422,
        "corrected_message_not_found",
        "'corrects' is not a text message of this room (correct the first message, not a"
            + " correction).");
  }
}
