package org.konsil.server.messaging;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;

/**
 * For the benchmark's fan-out ceiling only (KONSIL_BENCH_WITHOUT_DATABASE=true): acknowledges and
 * pushes text messages without storing them, with per-room sequence numbers counted in memory from
 * 1. It keeps nothing, checks no membership and loses everything at a restart; never for real use.
 */
final class UnstoredMessages {

  private final Map<UUID, long[]> lastSeqs = new ConcurrentHashMap<>();

  Ack accept(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      String content,
      OffsetDateTime now,
      LiveEvents live) {
    long[] lastSeq = lastSeqs.computeIfAbsent(room, key -> new long[1]);
    // numbering and publishing under one lock keep the room's pushes in sequence order
    synchronized (lastSeq) {
      Message message =
          new Message(
              room,
              ++lastSeq[0],
              UUID.randomUUID(),
              "text",
              content,
              now,
              clientMsgId,
              user.userId(),
              user.displayName(),
              user.organisationId(),
              user.organisationName(),
              false);
      live.message(room, message.seq(), message.toFrame());
      return new Ack(message, false);
    }
  }
}
