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
import java.util.Map;
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

  private final Pool pool;
  private final Clock clock;
  private final MailSender sender;
  private final OutboxWorker worker;

  public MailOutbox(Vertx vertx, Pool pool, Clock clock, MailSender sender, Duration giveUpAfter) {
    this.pool = pool;
    this.clock = clock;
    this.sender = sender;
    this.worker =
        new OutboxWorker(vertx, pool, clock, "mail", 20, giveUpAfter, SCRUB, this::deliver);
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
  public Future<Void> enqueueSecret(SqlClient tx, MailMessage mail, java.util.UUID invitationId) {
    return enqueue(tx, mail, invitationId);
  }

  private Future<Void> enqueue(SqlClient tx, MailMessage mail, java.util.UUID invitationId) {
    java.util.Map<String, Object> p = new java.util.HashMap<>();
    p.put("to", mail.to());
    p.put("payload", mail.toJson());
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
    worker.start(pollInterval);
  }

  public void stop() {
    worker.stop();
  }

  /** Sends what is due now; answers the number of mails handled. */
  public Future<Integer> drain() {
    return worker.drain();
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
                        "UPDATE outbox SET status = 'sent', sent_at = #{now}, last_error = NULL"
                            + ", "
                            + SCRUB
                            + " WHERE id = #{id}")
                    .execute(Map.of("id", id, "now", Times.now(clock)))
                    .<Void>mapEmpty(),
            failure -> worker.retryLater(row, failure));
  }
}
