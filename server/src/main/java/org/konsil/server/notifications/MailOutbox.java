package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.konsil.server.http.Rows;
import org.konsil.server.http.Times;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable outbox for e-mail: {@link #enqueue} writes a row in the caller's transaction; the
 * worker claims due rows, sends them, and records the outcome, with exponential backoff on failure.
 * A node that dies while sending leaves a claim that expires, so another attempt follows.
 */
public final class MailOutbox {

  private static final Logger LOG = LoggerFactory.getLogger(MailOutbox.class);
  private static final Duration CLAIM = Duration.ofMinutes(2);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration MAX_RETRY = Duration.ofHours(1);
  private static final int BATCH = 20;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final MailSender sender;
  private final Duration giveUpAfter;
  private long timerId = -1;
  private final java.util.concurrent.atomic.AtomicBoolean running =
      new java.util.concurrent.atomic.AtomicBoolean();

  public MailOutbox(Vertx vertx, Pool pool, Clock clock, MailSender sender, Duration giveUpAfter) {
    this.giveUpAfter = giveUpAfter;
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.sender = sender;
  }

  /** Queues a mail in the caller's transaction; nothing leaves before it commits. */
  public Future<Void> enqueue(SqlClient tx, MailMessage mail) {
    return enqueue(tx, mail, null);
  }

  /**
   * Queues a mail that carries a single-use code for an invitation: its text is removed from the
   * outbox once it is sent or given up.
   */
  public Future<Void> enqueueSecret(SqlClient tx, MailMessage mail, java.util.UUID invitationId) {
    return enqueue(tx, mail, invitationId);
  }

  private Future<Void> enqueue(SqlClient tx, MailMessage mail, java.util.UUID invitationId) {
    java.util.Map<String, Object> p = new java.util.HashMap<>();
    p.put("to", mail.to());
    p.put("payload", invitationId == null ? mail.toJson() : mail.toJson().put("secret", true));
    p.put("now", Times.now(clock));
    p.put("invitation", invitationId);
    return SqlTemplate.forUpdate(
            tx,
            "INSERT INTO outbox (channel, recipient, payload, status, next_attempt_at, created_at,"
                + " invitation_id) VALUES ('mail', #{to}, #{payload}, 'queued', #{now}, #{now},"
                + " #{invitation})")
        .execute(p)
        .mapEmpty();
  }

  public void start(Duration pollInterval) {
    timerId = vertx.setPeriodic(pollInterval.toMillis(), id -> drain());
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** Sends what is due now; returns the number of mails handled. */
  public Future<Integer> drain() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    return claimDue()
        .compose(
            rows -> Future.join(rows.stream().map(this::deliver).toList()).map(done -> rows.size()))
        .onFailure(e -> LOG.warn("mail outbox round failed: {}", e.toString()))
        .eventually(
            () -> {
              running.set(false);
              return Future.succeededFuture();
            });
  }

  private Future<List<Row>> claimDue() {
    return SqlTemplate.forQuery(
            pool,
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
                + " next_attempt_at = #{claimUntil}"
                + " WHERE id IN (SELECT id FROM outbox WHERE channel = 'mail'"
                + " AND status IN ('queued', 'sending') AND next_attempt_at <= #{now}"
                + " ORDER BY id LIMIT #{batch} FOR UPDATE SKIP LOCKED)"
                + " RETURNING id, payload, attempts, created_at")
        .execute(
            Map.of(
                "now",
                Times.now(clock),
                "claimUntil",
                Times.at(clock.instant().plus(CLAIM)),
                "batch",
                BATCH))
        .map(Rows::list);
  }

  private Future<Void> deliver(Row row) {
    long id = row.getLong("id");
    MailMessage mail = MailMessage.fromJson((JsonObject) row.getValue("payload"));
    return sender
        .send(mail, "outbox-" + id)
        .compose(
            sent ->
                SqlTemplate.forUpdate(
                        pool,
                        "UPDATE outbox SET status = 'sent', sent_at = #{now}, last_error = NULL,"
                            + " payload = CASE WHEN payload ? 'secret'"
                            + " THEN payload - 'text' ELSE payload END"
                            + " WHERE id = #{id}")
                    .execute(Map.of("id", id, "now", Times.now(clock)))
                    .<Void>mapEmpty(),
            failure -> recordFailure(id, row.getInteger("attempts"), row, failure));
  }

  private Future<Void> recordFailure(long id, int attempts, Row row, Throwable failure) {
    boolean giveUp =
        row.getOffsetDateTime("created_at").toInstant().plus(giveUpAfter).isBefore(clock.instant());
    long backoff = FIRST_RETRY.toMillis() << Math.min(attempts - 1, 20);
    Duration wait = Duration.ofMillis(Math.min(backoff, MAX_RETRY.toMillis()));
    LOG.warn("mail {} attempt {} failed: {}", id, attempts, failure.toString());
    return SqlTemplate.forUpdate(
            pool,
            "UPDATE outbox SET status = #{status}, next_attempt_at = #{next}, last_error = #{error}"
                + (giveUp
                    ? ", payload = CASE WHEN payload ? 'secret' THEN payload - 'text' ELSE payload END"
                    : "")
                + " WHERE id = #{id}")
        .execute(
            Map.of(
                "id",
                id,
                "status",
                giveUp ? "failed" : "queued",
                "next",
                Times.at(clock.instant().plus(wait)),
                "error",
                String.valueOf(failure.getMessage())))
        .mapEmpty();
  }
}
