package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.Times;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daily removal of what is past its retention: rooms whose newest message is older than their
 * organisation's retention (unless a legal hold covers their patient), and sent or failed outbox
 * rows after {@link Retention#OUTBOX_DAYS}. Every batch is a short transaction of its own with one
 * audit event, so live traffic never waits long for it. The audit trail itself is never deleted.
 */
public final class RetentionJob {

  private static final Logger LOG = LoggerFactory.getLogger(RetentionJob.class);

  static final int BATCH = 500;

  /** What one run removed. */
  public record Report(int rooms, long messages, int files, long outboxRows) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final RetentionStore store;
  private final Function<UUID, Path> files;
  private long timer = -1;

  RetentionJob(
      Vertx vertx,
      Pool pool,
      Clock clock,
      AuditLog audit,
      RetentionStore store,
      Function<UUID, Path> files) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
    this.store = store;
    this.files = files;
  }

  /** Runs once a day, the first time an hour after the start. */
  public void start() {
    timer =
        vertx.setPeriodic(
            Duration.ofHours(1).toMillis(),
            Duration.ofDays(1).toMillis(),
            id ->
                runOnce()
                    .onSuccess(report -> LOG.info("retention: {}", report))
                    .onFailure(e -> LOG.error("retention run failed: {}", e.toString())));
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One run: everything due now. */
  public Future<Report> runOnce() {
    OffsetDateTime now = Times.now(clock);
    AtomicLong messages = new AtomicLong();
    AtomicLong fileCount = new AtomicLong();
    AtomicLong outbox = new AtomicLong();
    AtomicInteger removed = new AtomicInteger();
    return store
        .dueRooms(now)
        .compose(rooms -> rooms(rooms, 0, now, removed, messages, fileCount))
        .map(done -> removed.get())
        .compose(
            rooms ->
                outbox(now.minusDays(Retention.OUTBOX_DAYS), outbox)
                    .map(
                        done ->
                            new Report(
                                rooms, messages.get(), (int) fileCount.get(), outbox.get())));
  }

  private Future<Void> rooms(
      List<Row> rooms,
      int index,
      OffsetDateTime now,
      AtomicInteger removed,
      AtomicLong messages,
      AtomicLong fileCount) {
    if (index == rooms.size()) {
      return Future.succeededFuture();
    }
    UUID room = rooms.get(index).getUUID("id");
    UUID owner = rooms.get(index).getUUID("owner");
    // a room written to since it was listed is not due any more and stays as it is
    return pool.withTransaction(tx -> store.claim(tx, room, now))
        .compose(
            claimed ->
                claimed
                    ? remove(room, owner, messages, fileCount)
                        .onSuccess(done -> removed.incrementAndGet())
                    : Future.<Void>succeededFuture())
        .compose(done -> rooms(rooms, index + 1, now, removed, messages, fileCount));
  }

  /** A claimed room: its messages a batch at a time, then the room with its files. */
  private Future<Void> remove(UUID room, UUID owner, AtomicLong messages, AtomicLong fileCount) {
    return messages(room, owner, messages)
        .compose(
            done ->
                pool.withTransaction(
                    tx ->
                        store
                            .deleteRoom(tx, room)
                            .compose(
                                removed ->
                                    audit
                                        .record(
                                            tx,
                                            system(owner)
                                                .on("room", room)
                                                .with("files", removed.files().size())
                                                .with("lateMessages", removed.lateMessages())
                                                .success("retention.room_deleted"))
                                        .map(removed))))
        .compose(
            removed -> {
              messages.addAndGet(removed.lateMessages());
              fileCount.addAndGet(removed.files().size());
              return deleteFiles(removed.files());
            });
  }

  /** The room's messages, newest first, a batch per transaction, until none is left. */
  private Future<Void> messages(UUID room, UUID owner, AtomicLong messages) {
    return pool.withTransaction(
            tx ->
                store
                    .deleteMessages(tx, room, BATCH)
                    .compose(
                        deleted ->
                            deleted == 0
                                ? Future.succeededFuture(0)
                                : audit
                                    .record(
                                        tx,
                                        system(owner)
                                            .on("room", room)
                                            .with("messages", deleted)
                                            .success("retention.messages_deleted"))
                                    .map(deleted)))
        .compose(
            deleted -> {
              messages.addAndGet(deleted);
              return deleted < BATCH ? Future.succeededFuture() : messages(room, owner, messages);
            });
  }

  private Future<Void> outbox(OffsetDateTime before, AtomicLong outbox) {
    return pool.withTransaction(
            tx ->
                store
                    .deleteOutbox(tx, before, BATCH)
                    .compose(
                        deleted ->
                            deleted == 0
                                ? Future.succeededFuture(0)
                                : audit
                                    .record(
                                        tx,
                                        AuditEvent.by((UUID) null, null)
                                            .with("rows", deleted)
                                            .success("retention.outbox_deleted"))
                                    .map(deleted)))
        .compose(
            deleted -> {
              outbox.addAndGet(deleted);
              return deleted < BATCH ? Future.succeededFuture() : outbox(before, outbox);
            });
  }

  private static AuditEvent.Builder system(UUID owner) {
    return AuditEvent.by((UUID) null, null).forOrganisation(owner);
  }

  private Future<Void> deleteFiles(List<UUID> ids) {
    return vertx.executeBlocking(
        () -> {
          for (UUID id : ids) {
            try {
              Files.deleteIfExists(files.apply(id));
            } catch (java.io.IOException e) {
              LOG.error("could not delete file {} past its retention: {}", id, e.toString());
            }
          }
          return null;
        });
  }
}
