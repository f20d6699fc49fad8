package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Notices that Konsil itself posts into rooms (a consent revoked, later: a partner joined, an
 * invitation sent), stored like messages with kind {@code system} and no sender.
 */
public final class SystemNotices {

  private final LiveEvents live;
  private final MessageStore store = new MessageStore();

  public SystemNotices(LiveEvents live) {
    this.live = live;
  }

  /** Stores a notice; the caller's transaction must hold the room's row lock. */
  public Future<Message> post(SqlClient tx, UUID room, JsonObject notice, OffsetDateTime now) {
    return store
        .lastSeq(tx, room)
        .compose(
            lastSeq -> {
              Message message =
                  new Message(
                      room,
                      lastSeq + 1,
                      UUID.randomUUID(),
                      "system",
                      notice.encode(),
                      now,
                      null,
                      null,
                      null,
                      null,
                      null,
                      false);
              return store.insert(tx, message).map(message);
            });
  }

  /** After the commit: tell connected members, who mask the room's earlier messages. */
  public void announceRevocation(Message notice) {
    live.roomMasked(
        notice.room(),
        new JsonObject()
            .put("type", "revoked")
            .put("room", notice.room().toString())
            .put("at", notice.sentAt().toInstant().toString())
            .encode());
    live.message(notice.room(), notice.seq(), notice.toFrame());
  }
}
