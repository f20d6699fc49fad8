package org.konsil.server.messaging;

import org.konsil.server.live.LiveEvents;
import io.vertx.core.Future;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.konsil.server.consent.RevocationNotices;
import org.konsil.server.http.Times;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Notices that Konsil itself posts into rooms (a consent revoked, later: a partner joined, an
 * invitation sent), stored like messages with kind {@code system} and no sender.
 */
public final class SystemNotices implements RevocationNotices {

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

  @Override
  public Future<Runnable> post(
      SqlClient tx, List<UUID> rooms, LocalDate date, OffsetDateTime now) {
    JsonObject notice =
        new JsonObject()
            .put("event", "consent_revoked")
            .put("revocationDate", date.toString())
            .put("recordedAt", Times.iso(now));
    List<Message> posted = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (UUID room : rooms) {
      chain = chain.compose(done -> post(tx, room, notice, now).map(posted::add).mapEmpty());
    }
    return chain.map(done -> () -> posted.forEach(this::announceRevocation));
  }

  /** After the commit: tell connected members, who mask the room's earlier messages. */
  private void announceRevocation(Message notice) {
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
