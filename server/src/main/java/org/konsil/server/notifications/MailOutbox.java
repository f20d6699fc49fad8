package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * The durable outbox for e-mail: {@link #enqueue} writes a row in the caller's transaction; the
 * worker sends due rows and records the outcome (claims, backoff and give-up: {@link
 * OutboxWorker}).
 */
public final class MailOutbox {

  /**
   * Removes the text of a mail that is done with (sent or given up). Set-password links and
   * invitation codes travel in the text; the status view needs only recipient, status, attempts and
   * times, which stay.
   */
  private static final String SCRUB = "payload = payload - 'text'";

  private static final String ENQUEUE =
      """
      INSERT INTO outbox (channel, recipient, payload, status, next_attempt_at, created_at,
        invitation_id)
      VALUES ('mail', #{to}, #{payload}, 'queued', #{now}, #{now}, #{invitation})""";

  private static final String ENQUEUE_TRACKED = ENQUEUE + " RETURNING id";

  private static final String SENT =
      """
      UPDATE outbox SET status = 'sent', sent_at = #{now}, last_error = NULL, %s
       WHERE id = #{id}"""
          .formatted(SCRUB);

  private final Clock clock;
  private final MailSender sender;
  private final OutboxWorker worker;
  // Built once: it runs on the pool. The insert runs in the caller's transaction, so it is bound
  // to that transaction per call (a template cannot change its client).
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> sent;

  public MailOutbox(Vertx vertx, Pool pool, Clock clock, MailSender sender, Duration giveUpAfter) {
    this.clock = clock;
    this.sender = sender;
    this.worker =
        new OutboxWorker(vertx, pool, clock, "mail", 20, giveUpAfter, SCRUB, this::deliver);
    this.sent = SqlTemplate.forUpdate(pool, SENT);
  }

  /** Queues a mail in the caller's transaction; nothing leaves before it commits. */
  public Future<Void> enqueue(SqlClient tx, MailMessage mail) {
    return enqueue(tx, mail, null);
  }

  /**
   * Queues the mail of an invitation (it carries the single-use code), linked to the invitation so
   * that the inviter sees how it fared. Like every mail, its text leaves the outbox once it is sent
   * or given up.
   */
  public Future<Void> enqueueSecret(SqlClient tx, MailMessage mail, UUID invitationId) {
    return enqueue(tx, mail, invitationId);
  }

  /**
   * Queues a mail in the caller's transaction and answers the outbox row's id, for a sender who
   * wants to see how the mail fared ({@link #status}).
   */
  public Future<Long> enqueueTracked(SqlClient tx, MailMessage mail) {
    Map<String, Object> p = new HashMap<>();
    p.put("to", mail.to());
    p.put("payload", mail.toJson());
    p.put("now", Times.now(clock));
    p.put("invitation", null);
    return SqlTemplate.forQuery(tx, ENQUEUE_TRACKED)
        .execute(p)
        .map(rows -> rows.iterator().next().getLong("id"));
  }

  private Future<Void> enqueue(SqlClient tx, MailMessage mail, UUID invitationId) {
    Map<String, Object> p = new HashMap<>();
    p.put("to", mail.to());
    p.put("payload", mail.toJson());
    p.put("now", Times.now(clock));
    p.put("invitation", invitationId);
    return SqlTemplate.forUpdate(tx, ENQUEUE).execute(p).mapEmpty();
  }

  /**
   * Queues a mail in the caller's transaction and answers its outbox row's id, so that the caller
   * records in the same transaction which row carries its message.
   */
  public Future<Long> enqueueReturningId(SqlClient tx, MailMessage mail) {
    Map<String, Object> p = new HashMap<>();
    p.put("to", mail.to());
    p.put("payload", mail.toJson());
    p.put("now", Times.now(clock));
    p.put("invitation", null);
    return SqlTemplate.forQuery(tx, ENQUEUE + " RETURNING id")
        .execute(p)
        .map(rows -> rows.iterator().next().getLong("id"));
  }

  public void start(Duration pollInterval) {
    worker.start(pollInterval);
  }

  public void stop() {
    worker.stop();
  }

  /** Sends what is due now; answers the number of mails handled. */
  public Future<Integer> drain() {
    return worker.drain();
  }

  private Future<Void> deliver(OutboxEntry entry) {
    long id = entry.id();
    MailMessage mail = MailMessage.fromJson(entry.payload());
    return sender
        .send(mail, "outbox-" + id)
        .compose(
            done -> sent.execute(Map.of("id", id, "now", Times.now(clock))).<Void>mapEmpty(),
            failure -> worker.retryLater(entry, failure));
  }
}
