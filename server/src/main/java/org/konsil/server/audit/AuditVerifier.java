package org.konsil.server.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.konsil.server.audit.AuditAnchors.Anchor;
import org.konsil.server.audit.AuditAnchors.AnchorFile;
import org.konsil.server.audit.AuditLog.Problem;
import org.konsil.server.audit.AuditLog.Verification;

/**
 * One walk over the whole chain in id order: every row is checked against its MAC (or, before the
 * key, its hash), against the row before it and against every anchor that names it; what does not
 * fit is collected with the id of the event it concerns. Used once, then thrown away.
 */
final class AuditVerifier {

  private static final int PAGE = 1000;

  private static final String PAGE_AFTER =
      "SELECT * FROM audit_events WHERE id > #{after} ORDER BY id LIMIT %d".formatted(PAGE);

  /** Problems kept with their text; a chain re-sealed with another key breaks at every row. */
  private static final int KEPT_PROBLEMS = 100;

  /** Hashes of recent rows, to tell a row that follows an earlier one (reordered) from others. */
  private static final int REMEMBERED_HASHES = 10_000;

  private final SqlTemplate<Map<String, Object>, RowSet<Row>> pageAfter;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> checkpointRows;

  /** The prunings' checkpoints by the last event each removed. */
  private final Map<Long, AuditCheckpoint> checkpoints = new HashMap<>();

  /** Null when no audit key was found, which the caller allows only while no row is keyed. */
  private final AuditChain chain;

  private final AnchorFile anchorFile;
  private final Map<Long, List<Anchor>> anchorsById = new HashMap<>();
  private final List<Problem> problems = new ArrayList<>();
  private final Map<String, Long> recent =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
          return size() > REMEMBERED_HASHES;
        }
      };
  private long problemCount;
  private long checked;
  private long legacyEvents;
  private Long keyedFrom;
  private Long lastId;
  private byte[] lastHash;
  private Long prunedThrough;
  private int historicAnchors;

  AuditVerifier(Pool pool, AuditChain chain, AnchorFile anchorFile) {
    this.pageAfter = SqlTemplate.forQuery(pool, PAGE_AFTER);
    this.checkpointRows = SqlTemplate.forQuery(pool, AuditCheckpoint.ALL);
    this.chain = chain;
    this.anchorFile = anchorFile;
    for (Anchor anchor : anchorFile.anchors()) {
      anchorsById.computeIfAbsent(anchor.eventId(), id -> new ArrayList<>()).add(anchor);
    }
  }

  Future<Verification> run() {
    for (int line : anchorFile.unreadableLines()) {
      problem(null, "line " + line + " of the anchor file is not an anchor");
    }
    return checkpointRows
        .execute(Map.of())
        .compose(
            rows -> {
              for (Row row : rows) {
                try {
                  AuditCheckpoint checkpoint =
                      AuditCheckpoint.fromDetails(row.getString("details"));
                  checkpoints.put(checkpoint.throughId(), checkpoint);
                } catch (RuntimeException e) {
                  // not a checkpoint the pruning wrote: its MAC check says more when it is reached
                  problem(
                      null, "an " + AuditCheckpoint.ACTION + " event does not name a checkpoint");
                }
              }
              return page(0L);
            })
        .map(done -> finish());
  }

  /**
   * The chain starts after a pruning: it goes on from the checkpoint that names the event before
   * the first one (the checkpoint's own MAC is checked when the walk reaches it, so a checkpoint
   * written without the audit key is found there). Anchors of removed events are history.
   */
  private void resumeAfterPruning(AuditCheckpoint checkpoint) {
    prunedThrough = checkpoint.throughId();
    lastId = checkpoint.throughId();
    lastHash = checkpoint.hash();
    checked = checkpoint.count();
    if (checkpoint.keyedFrom() != null) {
      keyedFrom = checkpoint.keyedFrom();
      legacyEvents = checkpoint.legacyEvents();
    }
    anchorsById
        .entrySet()
        .removeIf(
            entry -> {
              boolean removed = entry.getKey() <= checkpoint.throughId();
              if (removed) {
                historicAnchors += entry.getValue().size();
              }
              return removed;
            });
  }

  private Future<Void> page(long afterId) {
    return pageAfter
        .execute(Map.of("after", afterId))
        .compose(
            rows -> {
              for (Row row : rows) {
                check(row);
              }
              return rows.size() < PAGE ? Future.succeededFuture() : page(lastId);
            });
  }

  private void check(Row row) {
    long id = row.getLong("id");
    if (lastId == null && checkpoints.containsKey(id - 1)) {
      resumeAfterPruning(checkpoints.get(id - 1));
    }
    int scheme = row.getShort("scheme");
    byte[] previous = bytes(row, "prev_hash");
    byte[] hash = bytes(row, "hash");
    AuditEvent event = AuditLog.fromRow(row);
    String details = row.getString("details");
    boolean gap = false;
    if (scheme == AuditChain.KEYED) {
      if (keyedFrom == null) {
        keyedFrom = id;
        legacyEvents = checked;
        checkGenesis(id, event, details);
      } else if (id != lastId + 1) {
        gap = true;
        problem(
            id,
            id - lastId == 2
                ? "event " + (lastId + 1) + " before it is missing (deleted)"
                : "events "
                    + (lastId + 1)
                    + " to "
                    + (id - 1)
                    + " before it are missing (deleted)");
      }
    } else if (keyedFrom != null) {
      problem(
          id,
          "it is an unkeyed event after the chain became keyed at event "
              + keyedFrom
              + " (inserted or re-sealed without the audit key)");
    }
    if (!gap && !Arrays.equals(previous, lastHash)) {
      Long follows = previous == null ? null : recent.get(hex(previous));
      if (lastId == null) {
        problem(id, "it is the first event but links to an event before it (first events deleted)");
      } else if (follows != null) {
        problem(
            id,
            "it follows event "
                + follows
                + " instead of event "
                + lastId
                + " (events swapped or reordered)");
      } else {
        problem(
            id,
            "it does not follow event "
                + lastId
                + " (events swapped, reordered, deleted or added)");
      }
    }
    byte[] expected =
        scheme != AuditChain.KEYED
            ? AuditChain.legacyHash(previous, row.getOffsetDateTime("occurred_at"), event, details)
            : chain == null
                ? null
                : chain.mac(id, previous, row.getOffsetDateTime("occurred_at"), event, details);
    if (expected == null) {
      problem(id, "it is keyed, but no audit key is set to check it");
    } else if (!MessageDigest.isEqual(expected, hash)) {
      problem(
          id,
          scheme == AuditChain.KEYED
              ? "its content does not match its MAC (edited, or written or re-sealed without this"
                  + " audit key)"
              : "its content does not match its hash (edited)");
    }
    checked++;
    for (Anchor anchor : anchorsById.getOrDefault(id, List.of())) {
      if (!Arrays.equals(anchor.hash(), hash)) {
        problem(
            id,
            "its hash differs from the one anchored at "
                + anchor.at()
                + " (anchor line "
                + anchor.line()
                + "): replaced or re-sealed");
      } else if (anchor.count() != checked) {
        problem(
            id,
            "the chain up to it has "
                + checked
                + " events, the anchor of "
                + anchor.at()
                + " (line "
                + anchor.line()
                + ") counted "
                + anchor.count()
                + " (events deleted or added before it)");
      }
    }
    anchorsById.remove(id);
    recent.put(hex(hash), id);
    lastId = id;
    lastHash = hash;
  }

  /** The first keyed row closes the unkeyed rows before it and says how many there were. */
  private void checkGenesis(long id, AuditEvent event, String details) {
    if (!AuditChain.GENESIS.equals(event.action())) {
      if (checked > 0) {
        problem(
            id,
            "the first keyed event is not the genesis event that closes the "
                + checked
                + " unkeyed events before it");
      }
      return;
    }
    long named = new JsonObject(details).getLong("legacyEvents", -1L);
    if (named != checked) {
      problem(
          id,
          "the genesis event counted "
              + named
              + " unkeyed events before it, there are "
              + checked
              + " (unkeyed events deleted or added)");
    }
  }

  private Verification finish() {
    if (checked > 0 && anchorFile.anchors().isEmpty()) {
      problem(
          null,
          (anchorFile.found() ? "it holds no anchor" : "it is missing")
              + ": without the anchors, neither whether the newest events were cut off nor where"
              + " the keyed chain starts (a chain sealed again as if it had never been keyed) can"
              + " be checked");
    }
    checkKeyedStart();
    // anchors whose event the walk never met: cut off at the end, or missing in the middle
    anchorsById.values().stream()
        .flatMap(List::stream)
        .sorted((a, b) -> Integer.compare(a.line(), b.line()))
        .forEach(
            anchor -> {
              if (lastId == null || anchor.eventId() > lastId) {
                problem(
                    anchor.eventId(),
                    "it was anchored at "
                        + anchor.at()
                        + " (line "
                        + anchor.line()
                        + ") with "
                        + anchor.count()
                        + " events, but the chain ends "
                        + (lastId == null
                            ? "empty"
                            : "at event " + lastId + " with " + checked + " events")
                        + " (newest events deleted)");
              } else {
                problem(
                    anchor.eventId(),
                    "it was anchored at "
                        + anchor.at()
                        + " (line "
                        + anchor.line()
                        + ") and is missing (deleted)");
              }
            });
    return new Verification(
        checked,
        keyedFrom == null ? checked : legacyEvents,
        keyedFrom,
        prunedThrough,
        anchorFile.found(),
        anchorFile.anchors().size() - historicAnchors,
        List.copyOf(problems),
        problemCount);
  }

  /**
   * Every anchor since they record it names the first keyed event; a chain that starts being keyed
   * elsewhere, or claims never to have been keyed, was sealed again without the key. Only the first
   * anchor that disagrees is named.
   */
  private void checkKeyedStart() {
    for (Anchor anchor : anchorFile.anchors()) {
      long anchored = anchor.keyedFrom();
      if (anchored == Anchor.NOT_RECORDED) {
        continue;
      }
      boolean agrees =
          anchored == Anchor.NOT_KEYED
              ? keyedFrom == null || keyedFrom > anchor.eventId()
              : Long.valueOf(anchored).equals(keyedFrom);
      if (!agrees) {
        problem(
            keyedFrom == null ? anchor.eventId() : keyedFrom,
            (keyedFrom == null
                    ? "the chain has no keyed event"
                    : "the keyed chain starts at event " + keyedFrom)
                + ", but the anchor of "
                + anchor.at()
                + " (line "
                + anchor.line()
                + ") says "
                + (anchored == Anchor.NOT_KEYED
                    ? "no event up to " + anchor.eventId() + " was keyed"
                    : "it is keyed from event " + anchored)
                + " (sealed again without the audit key)");
        return;
      }
    }
  }

  private void problem(Long eventId, String description) {
    problemCount++;
    if (problems.size() < KEPT_PROBLEMS) {
      problems.add(new Problem(eventId, description));
    }
  }

  private static byte[] bytes(Row row, String column) {
    return row.getBuffer(column) == null ? null : row.getBuffer(column).getBytes();
  }

  private static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }
}
