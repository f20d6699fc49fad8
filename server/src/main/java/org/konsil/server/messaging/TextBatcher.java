package org.konsil.server.messaging;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Stores text messages in batches: while a few batches are being written, new sends wait and go
 * together in the next statement, committed once. At low load every batch holds one message and
 * nothing waits; under load one commit serves many messages. Each message keeps its checks
 * (membership, closed room, invitations waiting, earlier copy) and its room's order; a batch that
 * fails as a whole (the same message twice at once) is stored again one message at a time.
 */
final class TextBatcher {

  private static final int MAX_BATCH = 256;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TextBatcher.class);

  private final io.micrometer.core.instrument.DistributionSummary batchSizes;
  private final io.micrometer.core.instrument.Counter failedBatches;

  private final Vertx vertx;
  private final Pool pool;
  private final MessageStore store;
  private final int maxBatchesInFlight;
  private final Object lock = new Object();
  private List<Pending> waiting = new ArrayList<>();
  private int inFlight;

  private record Pending(
      Message message, Promise<MessageStore.TextOutcome> promise, Context origin) {
    void complete(MessageStore.TextOutcome outcome) {
      if (origin == null) {
        promise.complete(outcome);
      } else {
        origin.runOnContext(v -> promise.complete(outcome));
      }
    }

    void fail(Throwable failure) {
      if (origin == null) {
        promise.fail(failure);
      } else {
        origin.runOnContext(v -> promise.fail(failure));
      }
    }
  }

  TextBatcher(
      Vertx vertx,
      Pool pool,
      MessageStore store,
      int maxBatchesInFlight,
      io.micrometer.core.instrument.MeterRegistry metrics) {
    this.batchSizes =
        io.micrometer.core.instrument.DistributionSummary.builder("konsil.messages.batch.size")
            .description("Text messages written in one statement")
            .register(metrics);
    this.failedBatches =
        io.micrometer.core.instrument.Counter.builder("konsil.messages.batch.retried")
            .description("Batches that failed as a whole and were stored message by message")
            .register(metrics);
    this.vertx = vertx;
    this.pool = pool;
    this.store = store;
    this.maxBatchesInFlight = maxBatchesInFlight;
  }

  /** Stores the message with the next batch; completes on the caller's context. */
  Future<MessageStore.TextOutcome> store(Message message) {
    Promise<MessageStore.TextOutcome> promise = Promise.promise();
    List<Pending> batch = null;
    synchronized (lock) {
      waiting.add(new Pending(message, promise, vertx.getOrCreateContext()));
      if (inFlight < maxBatchesInFlight) {
        batch = take();
      }
    }
    if (batch != null) {
      write(batch);
    }
    return promise.future();
  }

  private List<Pending> take() {
    List<Pending> batch;
    if (waiting.size() <= MAX_BATCH) {
      batch = waiting;
      waiting = new ArrayList<>();
    } else {
      batch = new ArrayList<>(waiting.subList(0, MAX_BATCH));
      waiting = new ArrayList<>(waiting.subList(MAX_BATCH, waiting.size()));
    }
    inFlight++;
    return batch;
  }

  private void write(List<Pending> batch) {
    batchSizes.record(batch.size());
    Future<List<MessageStore.TextOutcome>> written =
        batch.size() == 1
            ? store.storeText(pool, batch.get(0).message()).map(List::of)
            : storeBatch(batch);
    written.onComplete(
        result -> {
          if (result.succeeded()) {
            for (int i = 0; i < batch.size(); i++) {
              batch.get(i).complete(result.result().get(i));
            }
          } else if (batch.size() == 1) {
            batch.get(0).fail(result.cause());
          } else {
            // one message spoilt the batch: each on its own, so only that one fails
            failedBatches.increment();
            LOG.debug(
                "a batch of {} is stored one by one: {}", batch.size(), result.cause().toString());
            for (Pending pending : batch) {
              store
                  .storeText(pool, pending.message())
                  .onSuccess(pending::complete)
                  .onFailure(pending::fail);
            }
          }
          List<Pending> next = null;
          synchronized (lock) {
            inFlight--;
            if (!waiting.isEmpty() && inFlight < maxBatchesInFlight) {
              next = take();
            }
          }
          if (next != null) {
            write(next);
          }
        });
  }

  /** One statement for the whole batch; the outcomes in the batch's order. */
  private Future<List<MessageStore.TextOutcome>> storeBatch(List<Pending> batch) {
    int n = batch.size();
    UUID[] rooms = new UUID[n];
    UUID[] orgs = new UUID[n];
    UUID[] senders = new UUID[n];
    UUID[] clientMsgIds = new UUID[n];
    UUID[] ids = new UUID[n];
    String[] contents = new String[n];
    OffsetDateTime[] sentAts = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Message m = batch.get(i).message();
      rooms[i] = m.room();
      orgs[i] = m.senderOrganisationId();
      senders[i] = m.senderId();
      clientMsgIds[i] = m.clientMsgId();
      ids[i] = m.id();
      contents[i] = m.content();
      sentAts[i] = m.sentAt();
    }
    Map<String, Object> p = new HashMap<>();
    p.put("rooms", rooms);
    p.put("orgs", orgs);
    p.put("senders", senders);
    p.put("cmids", clientMsgIds);
    p.put("ids", ids);
    p.put("contents", contents);
    p.put("sentAts", sentAts);
    return SqlTemplate.forQuery(pool, BATCH)
        .execute(p)
        .map(
            rows -> {
              List<MessageStore.TextOutcome> outcomes = new ArrayList<>(n);
              for (Row row : rows) {
                Message m = batch.get(outcomes.size()).message();
                outcomes.add(MessageStore.outcome(row, m));
              }
              if (outcomes.size() != n) {
                throw new IllegalStateException("a batch of " + n + " answered " + outcomes.size());
              }
              return outcomes;
            });
  }

  /**
   * The batch: rooms locked in id order (no deadlock between batches), each message checked like a
   * single send, numbered per room in the batch's order, inserted, and each room's sequence moved
   * once.
   */
  private static final String BATCH =
      "WITH input AS (SELECT * FROM unnest(#{rooms}::uuid[], #{orgs}::uuid[], #{senders}::uuid[],"
          + " #{cmids}::uuid[], #{ids}::uuid[], #{contents}::text[], #{sentAts}::timestamptz[])"
          + " WITH ORDINALITY AS i(room, org, sender, cmid, id, content, sent_at, ord)),"
          + " locked AS (SELECT r.id, r.last_seq, r.closed_at, r.pending_invitations FROM rooms r"
          + " WHERE r.id IN (SELECT room FROM input) ORDER BY r.id FOR UPDATE),"
          + " checked AS (SELECT i.*, l.last_seq,"
          + " (l.id IS NOT NULL AND EXISTS (SELECT 1 FROM room_members rm"
          + " WHERE rm.room_id = i.room AND rm.organisation_id = i.org)) AS member,"
          + " coalesce(l.closed_at IS NOT NULL, false) AS closed,"
          + " coalesce(l.pending_invitations, 0) AS pending,"
          + " e.room_id AS earlier_room, e.seq AS earlier_seq, e.id AS earlier_id,"
          + " e.kind AS earlier_kind, e.content AS earlier_content, e.sent_at AS earlier_sent_at"
          + " FROM input i LEFT JOIN locked l ON l.id = i.room"
          + " LEFT JOIN messages e ON e.sender_user_id = i.sender AND e.client_msg_id = i.cmid),"
          + " numbered AS (SELECT c.*, c.last_seq + row_number() OVER (PARTITION BY c.room"
          + " ORDER BY c.ord) AS seq FROM checked c WHERE c.member AND NOT c.closed"
          + " AND c.pending = 0 AND c.earlier_room IS NULL),"
          + " stored AS (INSERT INTO messages (room_id, seq, id, sender_user_id, sender_org_id,"
          + " client_msg_id, kind, content, sent_at) SELECT room, seq, id, sender, org, cmid,"
          + " 'text', content, sent_at FROM numbered RETURNING seq),"
          + " moved AS (UPDATE rooms r SET last_seq = s.top, last_message_at = s.at FROM"
          + " (SELECT room, max(seq) AS top, max(sent_at) AS at FROM numbered GROUP BY room) s"
          + " WHERE r.id = s.room)"
          + " SELECT CASE WHEN c.member THEN 1 ELSE 0 END AS member, c.closed, c.pending,"
          + " coalesce(n.seq, 0) AS seq, c.earlier_room, c.earlier_seq, c.earlier_id,"
          + " c.earlier_kind, c.earlier_content, c.earlier_sent_at"
          + " FROM checked c LEFT JOIN numbered n ON n.ord = c.ord ORDER BY c.ord";
}
