package org.konsil.server.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.konsil.server.live.LiveEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups text messages sent at the same time into one call of the one store statement ({@link
 * MessageStore#store}), committed once: while a few statements are running, new sends wait and go
 * together into the next. At low load every statement holds one message and nothing waits; under
 * load one commit serves many. The statement checks each message on its own and numbers each room's
 * messages in the order they came. A statement that fails as a whole (the same message twice in it,
 * a row the database refuses) is run again one message at a time, in the same order, so that only
 * the culprit fails. The messages a statement stored go out as one live event, before their senders
 * are answered.
 */
final class TextBatcher {

  static final int MAX_BATCH = 256;
  private static final Logger LOG = LoggerFactory.getLogger(TextBatcher.class);

  private final Vertx vertx;
  private final Pool pool;
  private final Pool generic;
  private final MessageStore store;
  private final int maxBatchesInFlight;
  private final Consumer<List<LiveEvents.Stored>> published;
  private final DistributionSummary batchSizes;
  private final Counter failedBatches;
  private final Object lock = new Object();
  private List<Pending> waiting = new ArrayList<>();
  private int inFlight;

  /** A message waiting for its statement, and the context its sender is answered on. */
  private record Pending(Message message, Promise<MessageStore.Outcome> promise, Context origin) {
    void settle(AsyncResult<MessageStore.Outcome> result) {
      origin.runOnContext(v -> promise.handle(result));
    }
  }

  TextBatcher(
      Vertx vertx,
      Pool pool,
      Pool generic,
      MessageStore store,
      int maxBatchesInFlight,
      Consumer<List<LiveEvents.Stored>> published,
      MeterRegistry metrics) {
    this.vertx = vertx;
    this.published = published;
    this.pool = pool;
    this.generic = generic;
    this.store = store;
    this.maxBatchesInFlight = maxBatchesInFlight;
    this.batchSizes =
        DistributionSummary.builder("konsil.messages.batch.size")
            .description("Text messages written in one statement")
            .register(metrics);
    this.failedBatches =
        Counter.builder("konsil.messages.batch.retried")
            .description("Batches that failed as a whole and were stored message by message")
            .register(metrics);
  }

  /**
   * Stores the message (without waiting for invitations) with the next statement; answers its
   * outcome on the caller's context, once committed.
   */
  Future<MessageStore.Outcome> store(Message message) {
    Promise<MessageStore.Outcome> promise = Promise.promise();
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

  /** The next batch, oldest first; called holding the lock. */
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
    Pool first = poolFor(batch.size());
    store
        .store(first, batch.stream().map(Pending::message).toList(), false)
        .transform(
            result -> {
              if (result.succeeded()) {
                List<MessageStore.Outcome> outcomes = result.result();
                publish(batch, outcomes);
                for (int i = 0; i < batch.size(); i++) {
                  batch.get(i).settle(Future.succeededFuture(outcomes.get(i)));
                }
                return Future.<Void>succeededFuture();
              }
              if (batch.size() == 1 && !connectionLost(result.cause())) {
                batch.get(0).settle(Future.failedFuture(result.cause()));
                return Future.<Void>succeededFuture();
              }
              failedBatches.increment();
              LOG.debug("a batch of {} is stored one by one: {}", batch.size(), result.cause());
              // on the other pool: the failed statement's connection may be the one that was lost
              return oneByOne(batch, 0, first == generic ? pool : generic);
            })
        .onComplete(done -> next());
  }

  /**
   * The statement was not refused by the database but failed around it: its connection was lost or
   * ended by the server (SQLSTATE classes 08 and 57), or there was no answer at all. Whether it
   * committed is unknown. A message alone is then stored again once, like the messages of a larger
   * batch: the statement finds it if the first one committed (a duplicate, which the writer
   * publishes), and stores it otherwise.
   */
  static boolean connectionLost(Throwable failure) {
    if (failure instanceof PgException pg) {
      String state = pg.getSqlState();
      return state != null && (state.startsWith("08") || state.startsWith("57"));
    }
    return true;
  }

  /**
   * Each message in a statement of its own, one after the other, in the batch's order, on the given
   * pool.
   */
  private Future<Void> oneByOne(List<Pending> batch, int index, Pool on) {
    if (index == batch.size()) {
      return Future.succeededFuture();
    }
    Pending pending = batch.get(index);
    return store
        .store(on, List.of(pending.message()), false)
        .map(
            outcomes -> {
              publish(List.of(pending), outcomes);
              return outcomes.get(0);
            })
        .andThen(pending::settle)
        .transform(settled -> oneByOne(batch, index + 1, on));
  }

  /**
   * The live frames of the messages the statement stored, as one event, before their senders hear
   * of it (the frames are committed: a message is published only once it is stored). A failure to
   * publish does not keep the senders from their answers.
   */
  private void publish(List<Pending> batch, List<MessageStore.Outcome> outcomes) {
    try {
      List<LiveEvents.Stored> stored = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        long seq = outcomes.get(i).seq();
        if (outcomes.get(i).stored()) {
          Message message = batch.get(i).message().withSeq(seq);
          stored.add(new LiveEvents.Stored(message.room(), seq, message.toLiveFrame()));
        }
      }
      published.accept(stored);
    } catch (RuntimeException e) {
      // the messages are committed and their senders are answered all the same; connected
      // members find them by the next message's gap or by sync
      LOG.warn("stored messages were not published live: {}", e.toString());
    }
  }

  /**
   * Where a statement of n messages runs: a few messages on the kept statement's generic plan (the
   * generic pool), more on a plan made for the batch (the other pool). See {@link
   * MessageStore#KEPT_UP_TO}.
   */
  private Pool poolFor(int n) {
    return n <= MessageStore.KEPT_UP_TO ? generic : pool;
  }

  /** Frees the statement's place and starts the next batch when sends are waiting. */
  private void next() {
    List<Pending> batch = null;
    synchronized (lock) {
      inFlight--;
      if (!waiting.isEmpty() && inFlight < maxBatchesInFlight) {
        batch = take();
      }
    }
    if (batch != null) {
      write(batch);
    }
  }
}
