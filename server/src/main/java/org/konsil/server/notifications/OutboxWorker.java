package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlResult;
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

  /** Back to the queue after a failed attempt; {@code %s} removes the secret when it gives up. */
  private static final String RETRY =
      """
      UPDATE outbox SET status = #{status}, next_attempt_at = #{next}, last_error = #{error}%s
      WHERE id = #{id}""";

  private static final String CLAIM_DUE =
      """
      UPDATE outbox SET status = 'sending', attempts = attempts + 1,
        next_attempt_at = #{claimUntil}
      WHERE id IN (SELECT id FROM outbox WHERE channel = #{channel}
        AND status IN ('queued', 'sending') AND next_attempt_at <= #{now}
        ORDER BY id LIMIT #{batch} FOR UPDATE SKIP LOCKED)
      RETURNING id, recipient, payload, attempts, created_at, provider_id""";

  private final Vertx vertx;
  private final Clock clock;
  private final String channel;
  private final int batch;
  private final Duration giveUpAfter;
  private final Function<OutboxEntry, Future<Void>> handler;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> retry;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> failAndScrub;
  private final SqlTemplate<Map<String, Object>, RowSet<OutboxEntry>> claimDue;
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
      Function<OutboxEntry, Future<Void>> handler) {
    this.vertx = vertx;
    this.clock = clock;
    this.channel = channel;
    this.batch = batch;
    this.giveUpAfter = giveUpAfter;
    this.handler = handler;
    this.retry = SqlTemplate.forUpdate(pool, RETRY.formatted(""));
    this.failAndScrub = SqlTemplate.forUpdate(pool, RETRY.formatted(", " + scrubSecret));
    this.claimDue = SqlTemplate.forQuery(pool, CLAIM_DUE).mapTo(OutboxEntry.MAPPER);
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
  boolean overdue(OutboxEntry entry) {
    return entry.createdAt().toInstant().plus(giveUpAfter).isBefore(clock.instant());
  }

  /** After a failed attempt: back to the queue with backoff, or failed once overdue. */
  Future<Void> retryLater(OutboxEntry entry, Throwable failure) {
    long id = entry.id();
    int attempts = entry.attempts();
    boolean giveUp = overdue(entry);
    long backoff = FIRST_RETRY.toMillis() << Math.min(attempts - 1, 20);
    Duration wait = Duration.ofMillis(Math.min(backoff, MAX_RETRY.toMillis()));
    LOG.warn("{} {} attempt {} failed: {}", channel, id, attempts, failure.toString());
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("status", giveUp ? "failed" : "queued");
    p.put("next", Times.at(clock.instant().plus(wait)));
    p.put("error", String.valueOf(failure.getMessage()));
    return (giveUp ? failAndScrub : retry).execute(p).mapEmpty();
  }

  private Future<List<OutboxEntry>> claimDue() {
    Map<String, Object> p = new HashMap<>();
    p.put("channel", channel);
    p.put("now", Times.now(clock));
    p.put("claimUntil", Times.at(clock.instant().plus(CLAIM)));
    p.put("batch", batch);
    return claimDue.execute(p).map(Rows::list);
  }
}
