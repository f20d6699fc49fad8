package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.templates.RowMapper;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;
import org.konsil.server.http.Times;
import org.konsil.server.notifications.sms.SmsReceipt;
import org.konsil.server.notifications.sms.SmsTransport;

/**
 * The durable outbox for SMS, for every feature that sends one. {@link #enqueue} writes a row in
 * the caller's transaction and answers its id; nothing leaves before the transaction commits. The
 * worker hands due rows to the {@link SmsTransport} with the row's id as idempotency key; a gateway
 * that is away delays an SMS (retries with backoff until the outbox give-up time), it never loses
 * one. {@link #state} tells the sender where an SMS stands. The text leaves the row once it is done
 * (sent, refused or given up): it may hold a one-time code.
 *
 * <p>Texts must carry no patient data and no message content: a code, the organisation's name and a
 * hint where to enter it are what an SMS may say.
 */
public final class SmsOutbox {

  /** Where an SMS stands: queued or sending (not yet accepted), sent, or failed for good. */
  public record SmsState(
      long id,
      UUID organisationId,
      String to,
      String purpose,
      String status,
      int attempts,
      OffsetDateTime createdAt,
      OffsetDateTime sentAt,
      String lastError) {

    static final RowMapper<SmsState> MAPPER =
        row ->
            new SmsState(
                row.getLong("id"),
                row.getUUID("organisation_id"),
                row.getString("recipient"),
                row.getString("purpose"),
                // a claimed row is "sending" until the gateway answers: the sender sees "queued"
                row.getString("status"),
                row.getInteger("attempts"),
                row.getOffsetDateTime("created_at"),
                row.getOffsetDateTime("sent_at"),
                row.getString("last_error"));

    public JsonObject toJson() {
      return new JsonObject()
          .put("status", status)
          .put("attempts", attempts)
          .put("sentAt", Times.iso(sentAt))
          .put("lastError", lastError);
    }
  }

  private static final String SCRUB = "payload = payload - 'text'";

  private static final String ENQUEUE =
      """
      INSERT INTO outbox (channel, recipient, payload, status, next_attempt_at, created_at,
        organisation_id, purpose)
      VALUES ('sms', #{to}, #{payload}, 'queued', #{now}, #{now}, #{org}, #{purpose})
      RETURNING id""";

  private static final String STATE =
      """
      SELECT id, organisation_id, recipient, purpose, status, attempts, created_at, sent_at,
        last_error
      FROM outbox WHERE id = #{id} AND channel = 'sms'""";

  private static final String SENT =
      """
      UPDATE outbox SET status = 'sent', sent_at = #{now}, provider_id = #{provider},
        last_error = NULL, %s
      WHERE id = #{id}"""
          .formatted(SCRUB);

  private static final String REFUSED =
      """
      UPDATE outbox SET status = 'failed', last_error = #{reason}, %s
      WHERE id = #{id}"""
          .formatted(SCRUB);

  private final Clock clock;
  private final SmsTransport transport;
  private final OutboxWorker worker;
  private final SqlTemplate<Map<String, Object>, RowSet<SmsState>> state;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> sent;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> refused;

  public SmsOutbox(
      Vertx vertx, Pool pool, Clock clock, SmsTransport transport, Duration giveUpAfter) {
    this.clock = clock;
    this.transport = transport;
    this.worker =
        new OutboxWorker(vertx, pool, clock, "sms", 20, giveUpAfter, SCRUB, this::deliver);
    this.state = SqlTemplate.forQuery(pool, STATE).mapTo(SmsState.MAPPER);
    this.sent = SqlTemplate.forUpdate(pool, SENT);
    this.refused = SqlTemplate.forUpdate(pool, REFUSED);
  }

  /**
   * Queues an SMS in the caller's transaction and answers its id.
   *
   * @param organisationId the organisation it is sent for (who may see its state)
   * @param to the number in E.164 (see {@code patients.ContactDetails#mobile})
   * @param text at most 480 characters; no patient data
   * @param purpose what caused it, lower-case letters, digits and underscores (e.g. {@code
   *     delivery_code})
   */
  public Future<Long> enqueue(
      SqlClient tx, UUID organisationId, String to, String text, String purpose) {
    if (!to.matches("\\+[1-9][0-9]{6,14}")) {
      throw new IllegalArgumentException("not an E.164 number");
    }
    if (text.isEmpty() || text.length() > 480) {
      throw new IllegalArgumentException("an SMS text has 1 to 480 characters");
    }
    Map<String, Object> p = new HashMap<>();
    p.put("to", to);
    p.put("payload", new JsonObject().put("text", text));
    p.put("now", Times.now(clock));
    p.put("org", organisationId);
    p.put("purpose", purpose);
    return SqlTemplate.forQuery(tx, ENQUEUE)
        .execute(p)
        .map(rows -> rows.iterator().next().getLong("id"));
  }

  /** Where the SMS stands, or null when there is no SMS with this id. */
  public Future<SmsState> state(long id) {
    return state.execute(Map.of("id", id)).map(Rows::firstOrNull);
  }

  public void start(Duration pollInterval) {
    worker.start(pollInterval);
  }

  public void stop() {
    worker.stop();
  }

  /** Sends what is due now; answers the number of SMS handled. */
  public Future<Integer> drain() {
    return worker.drain();
  }

  private Future<Void> deliver(OutboxEntry entry) {
    long id = entry.id();
    String text = entry.payload().getString("text");
    return transport
        .send(entry.recipient(), text, "sms-" + id)
        .compose(receipt -> record(id, receipt), failure -> worker.retryLater(entry, failure));
  }

  private Future<Void> record(long id, SmsReceipt receipt) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    if (receipt.accepted()) {
      p.put("now", Times.now(clock));
      p.put("provider", receipt.providerId());
      return sent.execute(p).mapEmpty();
    }
    p.put("reason", receipt.reason());
    return refused.execute(p).mapEmpty();
  }
}
