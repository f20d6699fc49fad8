package org.konsil.server.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneOffset;
import org.konsil.db.DatabaseSettings;

/**
 * Removes the audit events older than the six years they are kept, from the oldest on, without
 * breaking the chain: first a checkpoint event is appended (sealed under the audit key like every
 * event) that names the last event to go, its MAC and how many events the chain had up to it; then
 * the schema owner deletes those events in one transaction. The application role cannot delete
 * audit events, so this runs as an operator's command with the owner's login, never in the server.
 */
public final class AuditPruning {

  /** How long audit events are kept: six years (§147 AO, §257 HGB; see docs/records.md). */
  public static final Period KEPT = Period.ofYears(6);

  private static final String LAST_BEFORE =
      "SELECT max(id) AS id FROM audit_events WHERE occurred_at < $1";

  private static final String EVENT = "SELECT hash FROM audit_events WHERE id = $1";

  private static final String COUNT_BETWEEN =
      "SELECT count(*) AS events FROM audit_events WHERE id > $1 AND id <= $2";

  /** What a pruning did: the events removed now, and the last of them (null when none were due). */
  public record Pruned(long removed, Long throughId) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;

  public AuditPruning(Vertx vertx, Pool pool, Clock clock, AuditLog audit) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
  }

  /** The newest day {@code before} may be: events are kept six years. */
  public LocalDate latestAllowed() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).minus(KEPT);
  }

  /**
   * Removes the events that happened before the start of {@code before} (UTC), which must be six
   * years ago or earlier. A broken trail is not pruned: what is wrong with it would go with it.
   */
  public Future<Pruned> prune(LocalDate before, DatabaseSettings owner) {
    if (before.isAfter(latestAllowed())) {
      return Future.failedFuture(
          new IllegalArgumentException(
              "audit events are kept six years: the newest day to prune before is "
                  + latestAllowed()));
    }
    return audit
        .verify()
        .compose(
            verification -> {
              if (!verification.intact()) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "the audit trail is broken (run verify-audit); a broken trail is not"
                            + " pruned"));
              }
              OffsetDateTime cutoff = before.atStartOfDay().atOffset(ZoneOffset.UTC);
              return pool.preparedQuery(LAST_BEFORE)
                  .execute(Tuple.of(cutoff))
                  .compose(
                      rows -> {
                        Long last = rows.iterator().next().getLong("id");
                        Long previous = verification.prunedThroughId();
                        if (last == null || (previous != null && last <= previous)) {
                          return Future.succeededFuture(new Pruned(0, null));
                        }
                        return checkpoint(verification, last, before)
                            .compose(checkpoint -> delete(owner, checkpoint.throughId()));
                      });
            });
  }

  /** Appends the checkpoint that lets the chain be verified from the event after {@code last}. */
  private Future<AuditCheckpoint> checkpoint(
      AuditLog.Verification verification, long last, LocalDate before) {
    return pool.withTransaction(
        tx ->
            tx.query(AuditCheckpoint.NEWEST)
                .execute()
                .compose(
                    newest -> {
                      // the events an earlier pruning removed are counted by its checkpoint
                      AuditCheckpoint earlier =
                          newest.size() == 0
                              ? null
                              : AuditCheckpoint.fromDetails(
                                  newest.iterator().next().getString("details"));
                      long from = earlier == null ? 0 : earlier.throughId();
                      long counted = earlier == null ? 0 : earlier.count();
                      return tx.preparedQuery(COUNT_BETWEEN)
                          .execute(Tuple.of(from, last))
                          .map(rows -> counted + rows.iterator().next().getLong("events"));
                    })
                .compose(
                    count ->
                        tx.preparedQuery(EVENT)
                            .execute(Tuple.of(last))
                            .map(
                                rows -> {
                                  Long keyedFrom = verification.keyedFromId();
                                  boolean keyedBefore = keyedFrom != null && keyedFrom <= last;
                                  return new AuditCheckpoint(
                                      last,
                                      rows.iterator().next().getBuffer("hash").getBytes(),
                                      count,
                                      keyedBefore ? keyedFrom : null,
                                      keyedBefore ? verification.legacyEvents() : 0,
                                      before);
                                }))
                .compose(
                    checkpoint ->
                        audit
                            .record(
                                tx,
                                new AuditEvent(
                                    null,
                                    null,
                                    null,
                                    AuditCheckpoint.ACTION,
                                    "success",
                                    null,
                                    null,
                                    checkpoint.toJson()))
                            .map(checkpoint)));
  }

  /**
   * Deletes the events up to {@code throughId} as the schema owner, in one transaction: the
   * append-only trigger is off only inside it, and no other writer can slip in (ALTER TABLE holds
   * the table's exclusive lock until the commit). Blocking, so off the event loop.
   */
  private Future<Pruned> delete(DatabaseSettings owner, long throughId) {
    return vertx.executeBlocking(
        () -> {
          try (Connection c =
              DriverManager.getConnection(owner.jdbcUrl(), owner.user(), owner.password())) {
            c.setAutoCommit(false);
            int removed;
            try (Statement s = c.createStatement();
                PreparedStatement delete =
                    c.prepareStatement("DELETE FROM audit_events WHERE id <= ?")) {
              s.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update");
              delete.setLong(1, throughId);
              removed = delete.executeUpdate();
              s.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update");
              c.commit();
            } catch (SQLException e) {
              c.rollback();
              throw e;
            }
            return new Pruned(removed, throughId);
          }
        },
        false);
  }
}
