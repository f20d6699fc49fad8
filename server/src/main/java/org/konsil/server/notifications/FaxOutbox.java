package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.konsil.fax.FaxDocument;
import org.konsil.fax.FaxNumber;
import org.konsil.fax.FaxReceipt;
import org.konsil.fax.FaxStatus;
import org.konsil.fax.FaxTransport;
import org.konsil.fax.InvitationLetter;
import org.konsil.fax.LetterRenderer;
import org.konsil.server.http.Times;

/**
 * The durable outbox for invitation faxes. A row is written in the transaction that causes it; the
 * worker renders the letter, hands it to the transport with the row's id as idempotency key, and
 * records the receipt. A row handed over but not yet confirmed is polled, never sent again; one
 * whose sending crashed before the receipt was recorded is sent again under the same key, so a
 * provider that honours the key sends it once. The code in a row is removed once it is done.
 */
public final class FaxOutbox {

  private static final Duration POLL = Duration.ofSeconds(30);

  private static final String ENQUEUE =
      """
      INSERT INTO outbox (channel, recipient, payload, status, next_attempt_at, created_at,
        invitation_id)
      VALUES ('fax', #{to}, #{payload}, 'queued', #{now}, #{now}, #{invitation})""";

  private static final String WAITING_FOR_PROVIDER =
      """
      SELECT id FROM outbox
      WHERE channel = 'fax' AND provider_id = #{provider} AND status = 'sending'""";

  private static final String DELIVERED =
      """
      UPDATE outbox SET status = 'sent', sent_at = #{now},
        provider_id = coalesce(#{provider}, provider_id), last_error = NULL,
        payload = payload - 'code'
      WHERE id = #{id}""";

  private static final String FAILED =
      """
      UPDATE outbox SET status = 'failed', provider_id = coalesce(#{provider}, provider_id),
        last_error = #{reason}, payload = payload - 'code'
      WHERE id = #{id}""";

  private static final String POLL_LATER =
      """
      UPDATE outbox SET status = 'sending', provider_id = coalesce(#{provider}, provider_id),
        next_attempt_at = #{poll}
      WHERE id = #{id}""";

  private final Vertx vertx;
  private final Clock clock;
  private final FaxTransport transport;
  private final LetterRenderer renderer = new LetterRenderer();
  private final OutboxWorker worker;
  // Built once: they run on the pool. The insert runs in the caller's transaction, so it is bound
  // to that transaction per call (a template cannot change its client).
  private final SqlTemplate<Map<String, Object>, RowSet<Long>> waitingForProvider;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> delivered;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> failed;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> pollLater;

  public FaxOutbox(
      Vertx vertx, Pool pool, Clock clock, FaxTransport transport, Duration giveUpAfter) {
    this.vertx = vertx;
    this.clock = clock;
    this.transport = transport;
    this.worker =
        new OutboxWorker(
            vertx, pool, clock, "fax", 10, giveUpAfter, "payload = payload - 'code'", this::handle);
    this.waitingForProvider =
        SqlTemplate.forQuery(pool, WAITING_FOR_PROVIDER).mapTo(row -> row.getLong("id"));
    this.delivered = SqlTemplate.forUpdate(pool, DELIVERED);
    this.failed = SqlTemplate.forUpdate(pool, FAILED);
    this.pollLater = SqlTemplate.forUpdate(pool, POLL_LATER);
  }

  /** Queues an invitation letter in the caller's transaction. */
  public Future<Void> enqueue(
      SqlClient tx, UUID invitationId, FaxNumber to, InvitationLetter letter) {
    JsonObject payload =
        new JsonObject()
            .put("inviting", letter.invitingOrganisation())
            .put("recipient", letter.recipientOrganisation())
            .put("url", letter.registrationUrl())
            .put("code", letter.code())
            .put("expiresOn", letter.expiresOn().toString())
            .put("language", letter.language());
    Map<String, Object> p = new HashMap<>();
    p.put("to", to.e164());
    p.put("payload", payload);
    p.put("now", Times.now(clock));
    p.put("invitation", invitationId);
    return SqlTemplate.forUpdate(tx, ENQUEUE).execute(p).mapEmpty();
  }

  public void start(Duration pollInterval) {
    worker.start(pollInterval);
  }

  public void stop() {
    worker.stop();
  }

  /** Sends or polls what is due now; answers how many rows it handled. */
  public Future<Integer> drain() {
    return worker.drain();
  }

  private Future<Void> handle(OutboxEntry entry) {
    long id = entry.id();
    String providerId = entry.providerId();
    Future<FaxReceipt> outcome =
        providerId != null ? transport.status(providerId) : render(entry).compose(transport::send);
    boolean overdue = worker.overdue(entry);
    return outcome.compose(
        receipt ->
            overdue
                    && receipt.status() != FaxStatus.DELIVERED
                    && receipt.status() != FaxStatus.FAILED
                ? record(id, FaxReceipt.failed(receipt.providerId(), "no confirmation in time"))
                : record(id, receipt),
        failure -> worker.retryLater(entry, failure));
  }

  private Future<FaxDocument> render(OutboxEntry entry) {
    JsonObject payload = entry.payload();
    InvitationLetter letter =
        new InvitationLetter(
            payload.getString("inviting"),
            payload.getString("recipient"),
            payload.getString("url"),
            payload.getString("code"),
            LocalDate.parse(payload.getString("expiresOn")),
            payload.getString("language"));
    FaxNumber to = new FaxNumber(entry.recipient());
    return vertx.executeBlocking(
        () -> {
          byte[] pdf = renderer.pdf(letter);
          return new FaxDocument("outbox-" + entry.id(), to, pdf, renderer.tiff(pdf));
        });
  }

  /**
   * A provider's callback with the outcome of a fax it took; answers false when no fax waits for
   * that provider id.
   */
  public Future<Boolean> recordCallback(FaxReceipt receipt) {
    if (receipt.providerId() == null) {
      return Future.succeededFuture(false);
    }
    return waitingForProvider
        .execute(Map.of("provider", receipt.providerId()))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.succeededFuture(false)
                    : record(rows.iterator().next(), receipt).map(true));
  }

  private Future<Void> record(long id, FaxReceipt receipt) {
    SqlTemplate<Map<String, Object>, SqlResult<Void>> update =
        receipt.status() == FaxStatus.DELIVERED
            ? delivered
            : receipt.status() == FaxStatus.FAILED ? failed : pollLater;
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("now", Times.now(clock));
    p.put("provider", receipt.providerId());
    p.put("reason", receipt.reason());
    p.put("poll", Times.at(clock.instant().plus(POLL)));
    return update.execute(p).mapEmpty();
  }
}
