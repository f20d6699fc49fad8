package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.konsil.server.http.Rows;
import org.konsil.server.http.Times;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part every outbox channel shares: claiming due rows (a claim expires after two minutes, so a
 * node that dies mid-send leaves the row to another attempt), one round at a time, and retrying
 * with exponential backoff until the give-up time, when the row becomes {@code failed} and its
 * secret is removed.
 */
final class OutboxWorker {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxWorker.class);
  private static final Duration CLAIM = Duration.ofMinutes(2);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration MAX_RETRY = Duration.ofHours(1);

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final String channel;
  private final int batch;
  private final Duration giveUpAfter;
  private final String scrubSecret;
  private final Function<Row, Future<Void>> handler;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timerId = -1;

  /**
   * @param scrubSecret the SQL assignment that removes a row's secret once it is done
   * @param handler sends (or polls) one claimed row and records the outcome
   */
  OutboxWorker(
      Vertx vertx,
      Pool pool,
      Clock clock,
      String channel,
      int batch,
      Duration giveUpAfter,
      String scrubSecret,
      Function<Row, Future<Void>> handler) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.channel = channel;
    this.batch = batch;
    this.giveUpAfter = giveUpAfter;
    this.scrubSecret = scrubSecret;
    this.handler = handler;
  }

  void start(Duration pollInterval) {
    timerId = vertx.setPeriodic(pollInterval.toMillis(), id -> drain());
  }

  void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** Handles what is due now; answers how many rows it took. */
  Future<Integer> drain() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    return claimDue()
        .compose(rows -> Future.join(rows.stream().map(handler).toList()).map(done -> rows.size()))
        .onFailure(e -> LOG.warn("{} outbox round failed: {}", channel, e.toString()))
        .eventually(
            () -> {
              running.set(false);
              return Future.succeededFuture();
            });
  }

  /** Whether the row has waited longer than the give-up time. */
  boolean overdue(Row row) {
    return row.getOffsetDateTime("created_at")
        .toInstant()
        .plus(giveUpAfter)
        .isBefore(clock.instant());
  }

  /** After a failed attempt: back to the queue with backoff, or failed once overdue. */
  Future<Void> retryLater(Row row, Throwable failure) {
    long id = row.getLong("id");
    int attempts = row.getInteger("attempts");
    boolean giveUp = overdue(row);
    long backoff = FIRST_RETRY.toMillis() << Math.min(attempts - 1, 20);
    Duration wait = Duration.ofMillis(Math.min(backoff, MAX_RETRY.toMillis()));
    LOG.warn("{} {} attempt {} failed: {}", channel, id, attempts, failure.toString());
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("status", giveUp ? "failed" : "queued");
    p.put("next", Times.at(clock.instant().plus(wait)));
    p.put("error", String.valueOf(failure.getMessage()));
    return SqlTemplate.forUpdate(
            pool,
            "UPDATE outbox SET status = #{status}, next_attempt_at = #{next}, last_error = #{error}"
                + (giveUp ? ", " + scrubSecret : "")
                + " WHERE id = #{id}")
        .execute(p)
        .mapEmpty();
  }

  private Future<List<Row>> claimDue() {
    Map<String, Object> p = new HashMap<>();
    p.put("channel", channel);
    p.put("now", Times.now(clock));
    p.put("claimUntil", Times.at(clock.instant().plus(CLAIM)));
    p.put("batch", batch);
    return SqlTemplate.forQuery(
            pool,
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
                + " next_attempt_at = #{claimUntil}"
                + " WHERE id IN (SELECT id FROM outbox WHERE channel = #{channel}"
                + " AND status IN ('queued', 'sending') AND next_attempt_at <= #{now}"
                + " ORDER BY id LIMIT #{batch} FOR UPDATE SKIP LOCKED)"
                + " RETURNING id, recipient, payload, attempts, created_at, provider_id")
        .execute(p)
        .map(Rows::list);
  }
}
