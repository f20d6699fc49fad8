package org.konsil.server.audit;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;
import org.konsil.server.http.Times;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, hash-chained audit trail. {@link #record} writes in the caller's transaction, so
 * an event exists exactly when the change it describes does; each row's hash covers its fields and
 * the previous row's hash, so an edited or removed row breaks the chain from there on.
 */
public final class AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

  /** Serialises writers of the chain; taken for the rest of the writing transaction. */
  private static final long CHAIN_LOCK = 0x4b6f6e73696cL;

  private final Pool pool;
  private final Clock clock;

  public AuditLog(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  /** Appends the event inside the caller's transaction. */
  public Future<Void> record(SqlClient tx, AuditEvent event) {
    OffsetDateTime now = Times.now(clock);
    return tx.query("SELECT pg_advisory_xact_lock(" + CHAIN_LOCK + ")")
        .execute()
        .compose(
            locked -> tx.query("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").execute())
        .compose(
            rows -> {
              byte[] previous =
                  rows.size() == 0 ? null : rows.iterator().next().getBuffer("hash").getBytes();
              String details = event.details().encode();
              byte[] hash = hash(previous, now, event, details);
              Map<String, Object> p = new HashMap<>();
              p.put("at", now);
              p.put("actor", event.actorUserId());
              p.put("actorOrg", event.actorOrganisationId());
              p.put("org", event.organisationId());
              p.put("action", event.action());
              p.put("outcome", event.outcome());
              p.put("type", event.objectType());
              p.put("object", event.objectId());
              p.put("details", details);
              p.put("prev", previous == null ? null : Buffer.buffer(previous));
              p.put("hash", Buffer.buffer(hash));
              return SqlTemplate.forUpdate(
                      tx,
                      "INSERT INTO audit_events (occurred_at, actor_user_id, actor_org_id,"
                          + " organisation_id, action, outcome, object_type, object_id, details,"
                          + " prev_hash, hash) VALUES (#{at}, #{actor}, #{actorOrg}, #{org},"
                          + " #{action}, #{outcome}, #{type}, #{object}, #{details}, #{prev},"
                          + " #{hash})")
                  .execute(p)
                  .mapEmpty();
            });
  }

  /** Appends an event in a transaction of its own, for refusals whose own work rolled back. */
  public Future<Void> recordAlone(AuditEvent event) {
    return pool.withTransaction(tx -> record(tx, event))
        .onFailure(
            e -> LOG.error("could not write audit event {}: {}", event.action(), e.toString()));
  }

  /** The newest events of one organisation's log, newest first, before an id if one is given. */
  public Future<JsonArray> list(UUID organisationId, Long beforeId, int limit) {
    Map<String, Object> p = new HashMap<>();
    p.put("org", organisationId);
    p.put("before", beforeId == null ? Long.MAX_VALUE : beforeId);
    p.put("limit", limit);
    return SqlTemplate.forQuery(
            pool,
            "SELECT * FROM audit_events WHERE organisation_id = #{org} AND id < #{before}"
                + " ORDER BY id DESC LIMIT #{limit}")
        .execute(p)
        .map(rows -> new JsonArray(Rows.list(rows).stream().map(AuditLog::toJson).toList()));
  }

  /** The outcome of walking the chain. */
  public record Verification(long checked, Long firstBrokenId, String problem) {
    public boolean intact() {
      return firstBrokenId == null;
    }
  }

  /** Walks the whole chain in order and names the first row that does not fit. */
  public Future<Verification> verify() {
    return walk(0L, null, 0L);
  }

  private Future<Verification> walk(long afterId, byte[] previous, long checked) {
    return SqlTemplate.forQuery(
            pool, "SELECT * FROM audit_events WHERE id > #{after} ORDER BY id LIMIT 1000")
        .execute(Map.of("after", afterId))
        .compose(
            rows -> {
              byte[] expectedPrevious = previous;
              long count = checked;
              long lastId = afterId;
              for (Row row : rows) {
                long id = row.getLong("id");
                byte[] prev =
                    row.getBuffer("prev_hash") == null
                        ? null
                        : row.getBuffer("prev_hash").getBytes();
                if (!MessageDigest.isEqual(
                    expectedPrevious == null ? new byte[0] : expectedPrevious,
                    prev == null ? new byte[0] : prev)) {
                  return Future.succeededFuture(
                      new Verification(count, id, "does not follow the row before it"));
                }
                AuditEvent event = fromRow(row);
                byte[] hash =
                    hash(
                        prev,
                        row.getOffsetDateTime("occurred_at"),
                        event,
                        row.getString("details"));
                if (!MessageDigest.isEqual(hash, row.getBuffer("hash").getBytes())) {
                  return Future.succeededFuture(
                      new Verification(count, id, "its content does not match its hash"));
                }
                expectedPrevious = hash;
                count++;
                lastId = id;
              }
              if (rows.size() < 1000) {
                return Future.succeededFuture(new Verification(count, null, null));
              }
              return walk(lastId, expectedPrevious, count);
            });
  }

  private static AuditEvent fromRow(Row row) {
    return new AuditEvent(
        row.getUUID("actor_user_id"),
        row.getUUID("actor_org_id"),
        row.getUUID("organisation_id"),
        row.getString("action"),
        row.getString("outcome"),
        row.getString("object_type"),
        row.getUUID("object_id"),
        null);
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("id", row.getLong("id"))
        .put("occurredAt", Times.iso(row.getOffsetDateTime("occurred_at")))
        .put("actorUserId", str(row.getUUID("actor_user_id")))
        .put("actorOrganisationId", str(row.getUUID("actor_org_id")))
        .put("action", row.getString("action"))
        .put("outcome", row.getString("outcome"))
        .put("objectType", row.getString("object_type"))
        .put("objectId", str(row.getUUID("object_id")))
        .put("details", new JsonObject(row.getString("details")));
  }

  private static String str(UUID id) {
    return id == null ? null : id.toString();
  }

  /** SHA-256 over the previous hash and the row's fields, one per line, in a fixed order. */
  static byte[] hash(byte[] previous, OffsetDateTime at, AuditEvent event, String details) {
    String canonical =
        String.join(
            "\n",
            previous == null ? "" : HexFormat.of().formatHex(previous),
            Times.iso(at),
            String.valueOf(event.actorUserId()),
            String.valueOf(event.actorOrganisationId()),
            String.valueOf(event.organisationId()),
            event.action(),
            event.outcome(),
            String.valueOf(event.objectType()),
            String.valueOf(event.objectId()),
            details);
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest(canonical.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
