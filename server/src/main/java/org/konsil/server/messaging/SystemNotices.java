package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.konsil.server.consent.RevocationNotices;
import org.konsil.server.http.Times;
import org.konsil.server.live.LiveEvents;

/**
 * Notices that Konsil itself posts into rooms (a consent revoked, later: a partner joined, an
 * invitation sent), stored like messages, by the same statement, with kind {@code system} and no
 * sender.
 */
public final class SystemNotices implements RevocationNotices {

  private final LiveEvents live;
  private final MessageStore store = new MessageStore();
  private final EnvelopeStore envelopes = new EnvelopeStore();

  public SystemNotices(LiveEvents live) {
    this.live = live;
  }

  /**
   * Stores the notice in each room, in the caller's transaction; invitations waiting for a room's
   * first message keep waiting.
   */
  public Future<List<Message>> post(
      SqlClient tx, List<UUID> rooms, JsonObject notice, OffsetDateTime now) {
    List<Message> notices =
        rooms.stream()
            .map(
                room ->
                    new Message(
                        room,
                        0,
                        UUID.randomUUID(),
                        "system",
                        notice.encode(),
                        now,
                        null,
                        null,
                        null,
                        null,
                        null,
                        false))
            .toList();
    if (notices.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return store
        .store(tx, notices, true)
        .map(
            outcomes -> {
              for (int i = 0; i < notices.size(); i++) {
                if (!outcomes.get(i).stored()) {
                  throw new IllegalStateException("no room " + notices.get(i).room());
                }
              }
              return IntStream.range(0, notices.size())
                  .mapToObj(i -> notices.get(i).withSeq(outcomes.get(i).seq()))
                  .toList();
            });
  }

  @Override
  public Future<Runnable> post(SqlClient tx, List<UUID> rooms, LocalDate date, OffsetDateTime now) {
    JsonObject notice =
        new JsonObject()
            .put("event", "consent_revoked")
            .put("revocationDate", date.toString())
            .put("recordedAt", Times.iso(now));
    // envelopes that their devices have not confirmed are never delivered now
    return envelopes
        .dropUndelivered(tx, rooms)
        .compose(dropped -> post(tx, rooms, notice, now))
        .map(posted -> () -> posted.forEach(this::announceRevocation));
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
