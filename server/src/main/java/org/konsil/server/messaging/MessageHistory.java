package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.rooms.RoomService;

/**
 * Reading a room's stored messages: pages for members (masked after a revocation, as stored reads
 * always are), the WebSocket cursors' gap filling and sync, and the unmasked export for the
 * organisation whose documentation the room is. Reads of a patient room are audited.
 */
public final class MessageHistory implements RoomCursor.Fetch {

  public static final int MAX_PAGE = 200;
  private static final int EXPORT_PAGE = 500;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final RoomService rooms;
  private final AuditLog audit;
  private final MessageStore store;
  private final EnvelopeStore envelopes = new EnvelopeStore();

  public MessageHistory(Vertx vertx, Pool pool, Clock clock, RoomService rooms, AuditLog audit) {
    this.vertx = vertx;
    this.pool = pool;
    this.store = new MessageStore(pool);
    this.clock = clock;
    this.rooms = rooms;
    this.audit = audit;
  }

  /**
   * A page of history, oldest first: after a sequence number, before one, or the newest when
   * neither is given. With one of the user's devices, the messages of an encrypted room come with
   * that device's envelopes.
   */
  public Future<HistoryPage> page(
      AuthenticatedUser user, UUID room, Long after, Long before, int limit, Integer device) {
    if (after != null && before != null) {
      throw ApiException.validation("Give 'after' or 'before', not both.");
    }
    MessageStore.Reader reader = new MessageStore.Reader(user.userId(), device);
    return rooms
        .requireMember(user, room)
        .compose(
            lastSeq ->
                device == null
                    ? Future.succeededFuture(true)
                    : envelopes.isActiveDevice(pool, user.userId(), device))
        .compose(
            active -> {
              if (!active) {
                throw DeliveryRefusals.unknownDevice();
              }
              return auditPatientRead(user, room, "rest");
            })
        .compose(
            audited -> {
              if (after != null) {
                return store
                    .range(pool, room, after, Long.MAX_VALUE, limit + 1, reader)
                    .map(
                        page ->
                            page.size() > limit
                                ? new HistoryPage(page.subList(0, limit), true)
                                : new HistoryPage(page, false));
              }
              long upper = before == null ? Long.MAX_VALUE : before;
              return store
                  .before(pool, room, upper, limit + 1, reader)
                  .map(
                      page -> {
                        List<Message> oldestFirst = new ArrayList<>(page);
                        boolean more = oldestFirst.size() > limit;
                        if (more) {
                          oldestFirst.remove(oldestFirst.size() - 1);
                        }
                        Collections.reverse(oldestFirst);
                        return new HistoryPage(oldestFirst, more);
                      });
            });
  }

  /**
   * Records that a member read a patient room's history (REST or sync); reads of general rooms are
   * not patient data and are not recorded.
   */
  public Future<Void> auditPatientRead(AuthenticatedUser user, UUID room, String via) {
    return store
        .patientOf(pool, room)
        .compose(
            patient ->
                patient == null
                    ? Future.succeededFuture()
                    : audit.recordAlone(
                        AuditEvent.by(user)
                            .forOrganisation(patient.organisationId())
                            .on("room", room)
                            .with("patient", patient.id())
                            .with("via", via)
                            .success("room.history_read")));
  }

  /**
   * The room's complete history with nothing masked, as a PDF, for an admin of the organisation
   * whose documentation it is; every export is audited.
   */
  public Future<byte[]> export(AuthenticatedUser user, UUID roomId) {
    return rooms
        .view(user, roomId)
        .compose(
            room -> {
              user.requireAdmin();
              if (!room.owningOrganisationId().equals(user.organisationId())) {
                throw ApiException.forbidden(
                    "export_not_allowed",
                    "Only the organisation whose documentation this room is may export it.");
              }
              return allMessages(roomId, 0, new ArrayList<>())
                  .compose(
                      messages ->
                          vertx
                              .executeBlocking(
                                  () ->
                                      HistoryExport.render(room, messages, user, Times.now(clock)))
                              .compose(
                                  pdf ->
                                      audit
                                          .recordAlone(
                                              AuditEvent.by(user)
                                                  .on("room", roomId)
                                                  .with("messages", messages.size())
                                                  .success("room.exported"))
                                          .map(pdf)));
            });
  }

  private Future<List<Message>> allMessages(UUID room, long after, List<Message> collected) {
    return store
        .range(pool, room, after, Long.MAX_VALUE, EXPORT_PAGE, MessageStore.Reader.NOBODY)
        .compose(
            page -> {
              page.forEach(message -> collected.add(message.unmasked()));
              return page.size() < EXPORT_PAGE
                  ? Future.succeededFuture(collected)
                  : allMessages(room, page.get(page.size() - 1).seq(), collected);
            });
  }

  /** Stored messages of a room with after < seq <= upTo, for the gateway's gap filling. */
  @Override
  public Future<List<Message>> range(UUID room, long after, long upTo, int limit) {
    return store.range(pool, room, after, upTo, limit, MessageStore.Reader.NOBODY);
  }

  @Override
  public Future<List<Message>> range(
      UUID room, long after, long upTo, int limit, MessageStore.Reader reader) {
    return store.range(pool, room, after, upTo, limit, reader);
  }

  /** Whether the device is one of the user's active devices. */
  Future<Boolean> isActiveDevice(UUID user, int device) {
    return envelopes.isActiveDevice(pool, user, device);
  }

  /**
   * The device holds the room's messages up to seq (the caller checked that the user is a member):
   * its envelopes up to there count as delivered.
   */
  Future<Void> confirmReceived(AuthenticatedUser user, int device, UUID room, long seq) {
    return envelopes.confirm(pool, room, user.userId(), device, seq, Times.now(clock));
  }

  @Override
  public Future<Long> lastSeq(UUID room) {
    return store.lastSeq(pool, room);
  }
}
