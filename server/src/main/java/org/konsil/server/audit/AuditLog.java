package org.konsil.server.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.konsil.server.config.SecretFiles;
import org.konsil.server.http.Rows;
import org.konsil.server.http.Times;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, keyed audit trail. {@link #record} writes in the caller's transaction, so an
 * event exists exactly when the change it describes does; each row carries an HMAC under a key that
 * is not in the database over its id, its fields and the previous row's hash, so an edited, removed
 * or moved row breaks the chain, and nobody without the key can seal it again. The head of the
 * chain is anchored outside the database by {@link AuditAnchors}.
 */
public final class AuditLog {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

  /** Serialises writers of the chain; taken for the rest of the writing transaction. */
  static final long CHAIN_LOCK = 0x4b6f6e73696cL;

  private static final String INSERT =
      """
      INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_org_id, organisation_id,
        action, outcome, object_type, object_id, details, prev_hash, hash, scheme)
      VALUES (#{id}, #{at}, #{actor}, #{actorOrg}, #{org}, #{action}, #{outcome}, #{type},
        #{object}, #{details}, #{prev}, #{hash}, %d)"""
          .formatted(AuditChain.KEYED);

  private static final String LOCK_CHAIN = "SELECT pg_advisory_xact_lock(%d)".formatted(CHAIN_LOCK);

  private static final String HEAD =
      "SELECT id, hash, scheme FROM audit_events ORDER BY id DESC LIMIT 1";

  private static final String COUNT = "SELECT count(*) AS events FROM audit_events";

  private static final String ORGANISATION_TRAIL =
      """
      SELECT * FROM audit_events WHERE organisation_id = #{org} AND id < #{before}
      ORDER BY id DESC LIMIT #{limit}""";

  /** The variable that holds the audit key when it is not kept in its file. */
  public static final String KEY_VARIABLE = "KONSIL_AUDIT_KEY";

  private static final String NEWEST_KEYED =
      "SELECT * FROM audit_events WHERE scheme = %d ORDER BY id DESC LIMIT 1"
          .formatted(AuditChain.KEYED);

  /** What the audit key gives: the seal of the chain and the identifiers organisations see. */
  private record Keyed(AuditChain chain, AuditRefs refs) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final Optional<String> configuredKey;
  private final Path keyFile;
  private final Path anchorFile;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> organisationTrail;
  private volatile Keyed keyed;

  /**
   * The trail sealed with the key from {@code configuredKey} (Base64, from KONSIL_AUDIT_KEY) or
   * else from {@code keyFile}; nothing is written before {@link #open} has checked the key.
   */
  public AuditLog(
      Vertx vertx,
      Pool pool,
      Clock clock,
      Optional<String> configuredKey,
      Path keyFile,
      Path anchorFile) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.configuredKey = configuredKey;
    this.keyFile = keyFile;
    this.anchorFile = anchorFile;
    this.organisationTrail = SqlTemplate.forQuery(pool, ORGANISATION_TRAIL);
  }

  /**
   * Finds the audit key and makes sure it is the one that sealed the trail, before anything is
   * written: fails when the trail has keyed events and no key is configured or found (a new key
   * would never verify them, so none is made then), or when the newest keyed event does not match
   * its MAC under the key (another node's key, or a changed event). A key is made, once, only while
   * the trail has no keyed event.
   */
  public Future<Void> open() {
    return newestKeyed()
        .compose(
            newest ->
                vertx.executeBlocking(
                    () -> {
                      byte[] key = findKey(newest).orElse(null);
                      if (key == null) {
                        key = SecretFiles.create(keyFile);
                        LOG.info("made a new audit key in {}", keyFile);
                      }
                      AuditChain chain = new AuditChain(key);
                      if (newest != null && !matches(chain, newest)) {
                        throw new IllegalStateException(
                            "the newest keyed audit event "
                                + newest.getLong("id")
                                + " does not match its MAC under the audit key from "
                                + keySource()
                                + ": this is not the key that sealed the trail (every node needs"
                                + " the same "
                                + KEY_VARIABLE
                                + " or the same "
                                + keyFile
                                + "), or the event was changed; run verify-audit with the right"
                                + " key");
                      }
                      keyed = new Keyed(chain, new AuditRefs(key));
                      return (Void) null;
                    },
                    false));
  }

  /** The newest keyed row, or null while there is none. */
  private Future<Row> newestKeyed() {
    return pool.query(NEWEST_KEYED)
        .execute()
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  /**
   * The configured or kept key; never makes one. Fails when there is none although the trail has
   * keyed events. Blocking.
   */
  private Optional<byte[]> findKey(Row newestKeyed) {
    Optional<byte[]> key = SecretFiles.read(configuredKey, KEY_VARIABLE, keyFile);
    if (key.isEmpty() && newestKeyed != null) {
      throw new IllegalStateException(
          "the audit trail has keyed events (the newest is event "
              + newestKeyed.getLong("id")
              + ") but no audit key is set: set "
              + KEY_VARIABLE
              + " or put the key file "
              + keyFile
              + " back from the backup of the data folder. No new key is made: it could not"
              + " verify them");
    }
    return key;
  }

  private String keySource() {
    return configuredKey.isPresent() ? KEY_VARIABLE : keyFile.toString();
  }

  private static boolean matches(AuditChain chain, Row row) {
    byte[] previous =
        row.getBuffer("prev_hash") == null ? null : row.getBuffer("prev_hash").getBytes();
    byte[] mac =
        chain.mac(
            row.getLong("id"),
            previous,
            row.getOffsetDateTime("occurred_at"),
            fromRow(row),
            row.getString("details"));
    return MessageDigest.isEqual(mac, row.getBuffer("hash").getBytes());
  }

  private Keyed keyed() {
    Keyed current = keyed;
    if (current == null) {
      throw new IllegalStateException("the audit key was not checked (AuditLog.open) yet");
    }
    return current;
  }

  /**
   * Appends the event inside the caller's transaction. Under the chain lock the new row's id is the
   * head's id plus one, so the keyed chain has no gaps and a missing id is a deleted row. The first
   * keyed row after unkeyed ones is a genesis event that counts them.
   */
  public Future<Void> record(SqlClient tx, AuditEvent event) {
    AuditChain chain;
    try {
      chain = keyed().chain();
    } catch (IllegalStateException e) {
      return Future.failedFuture(e);
    }
    return tx.query(LOCK_CHAIN)
        .execute()
        .compose(locked -> tx.query(HEAD).execute())
        .compose(
            rows -> {
              // taken under the lock, so that times never go backwards along the ids
              OffsetDateTime now = Times.now(clock);
              if (rows.size() == 0) {
                return insert(chain, tx, 1, null, now, event);
              }
              Row head = rows.iterator().next();
              long headId = head.getLong("id");
              byte[] headHash = head.getBuffer("hash").getBytes();
              if (head.getShort("scheme") == AuditChain.KEYED) {
                return insert(chain, tx, headId + 1, headHash, now, event);
              }
              return tx.query(COUNT)
                  .execute()
                  .compose(
                      counted ->
                          insert(
                              chain,
                              tx,
                              headId + 1,
                              headHash,
                              now,
                              genesis(counted.iterator().next().getLong("events"))))
                  .compose(genesisHash -> insert(chain, tx, headId + 2, genesisHash, now, event));
            })
        .mapEmpty();
  }

  /** Inserts one keyed row; answers its MAC, the next row's link. */
  private static Future<byte[]> insert(
      AuditChain chain,
      SqlClient tx,
      long id,
      byte[] previous,
      OffsetDateTime at,
      AuditEvent event) {
    String details = event.details().encode();
    byte[] mac = chain.mac(id, previous, at, event, details);
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("at", at);
    p.put("actor", event.actorUserId());
    p.put("actorOrg", event.actorOrganisationId());
    p.put("org", event.organisationId());
    p.put("action", event.action());
    p.put("outcome", event.outcome());
    p.put("type", event.objectType());
    p.put("object", event.objectId());
    p.put("details", details);
    p.put("prev", previous == null ? null : Buffer.buffer(previous));
    p.put("hash", Buffer.buffer(mac));
    // bound to the caller's transaction, so built per call: a template cannot change its client
    return SqlTemplate.forUpdate(tx, INSERT).execute(p).map(done -> mac);
  }

  /** The first keyed row after the unkeyed ones: "keyed from here", with how many came before. */
  private static AuditEvent genesis(long legacyEvents) {
    return new AuditEvent(
        null,
        null,
        null,
        AuditChain.GENESIS,
        "success",
        null,
        null,
        new JsonObject().put("legacyEvents", legacyEvents));
  }

  /** Appends an event in a transaction of its own, for refusals whose own work rolled back. */
  public Future<Void> recordAlone(AuditEvent event) {
    return pool.withTransaction(tx -> record(tx, event))
        .onFailure(
            e -> LOG.error("could not write audit event {}: {}", event.action(), e.toString()));
  }

  /**
   * The newest events of one organisation's log, newest first, before an event if one is given.
   * Each event has an opaque reference instead of its id (see {@link AuditRefs}).
   */
  Future<List<AuditEntry>> list(UUID organisationId, Long beforeId, int limit) {
    AuditRefs refs = keyed().refs();
    Map<String, Object> p = new HashMap<>();
    p.put("org", organisationId);
    p.put("before", beforeId == null ? Long.MAX_VALUE : beforeId);
    p.put("limit", limit);
    return organisationTrail
        .execute(p)
        .map(
            rows ->
                Rows.list(rows).stream()
                    .map(row -> AuditEntry.from(row, refs.of(row.getLong("id"))))
                    .toList());
  }

  /** The event id behind a reference shown by {@link #list}, or nothing if it is not one. */
  Optional<Long> eventIdOf(String reference) {
    return keyed().refs().idOf(reference);
  }

  /** A row (or an anchor line, without event id) that does not fit, and why. */
  public record Problem(Long eventId, String description) {}

  /**
   * The outcome of walking the chain: how many events were checked (counting those a pruning
   * removed, up to {@code prunedThroughId}, which its checkpoint vouches for), how many of them
   * predate the key (the keyed chain starts at {@code keyedFromId}), how many anchors were checked
   * (anchors of removed events are history), and the problems found (the first {@code
   * problems().size()} of {@code problemCount}).
   */
  public record Verification(
      long checked,
      long legacyEvents,
      Long keyedFromId,
      Long prunedThroughId,
      boolean anchorFileFound,
      int anchorsChecked,
      List<Problem> problems,
      long problemCount) {

    public boolean intact() {
      return problemCount == 0;
    }

    /** The event of the first problem that names one, or null. */
    public Long firstBrokenId() {
      return problems.stream()
          .map(Problem::eventId)
          .filter(java.util.Objects::nonNull)
          .findFirst()
          .orElse(null);
    }
  }

  /** Walks the whole chain in order and checks it against its MACs and every anchor. */
  public Future<Verification> verify() {
    return newestKeyed()
        .compose(
            newest ->
                vertx.executeBlocking(
                    () -> {
                      // a trail without keyed events is checked without a key; none is made
                      AuditChain chain = findKey(newest).map(AuditChain::new).orElse(null);
                      return new AuditVerifier(pool, chain, AuditAnchors.read(anchorFile));
                    },
                    false))
        .compose(AuditVerifier::run);
  }

  /** The anchor file that {@link #verify} checks. */
  public Path anchorFile() {
    return anchorFile;
  }

  static AuditEvent fromRow(Row row) {
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
}
