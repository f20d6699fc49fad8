package org.konsil.server.audit;

import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.util.HexFormat;

/**
 * What a pruning of the audit trail left in it: an event, sealed like any other, that names the
 * last removed event and its MAC, how many events the chain had up to it, where the keyed chain
 * starts and how many unkeyed events came first. The verifier resumes the chain from it; anchors go
 * on counting from it.
 *
 * @param throughId the last removed event; the chain now starts at {@code throughId + 1}
 * @param hash the MAC (or hash) of that event, which the next event links to
 * @param count the number of events of the chain up to and including {@code throughId}
 * @param keyedFrom the first keyed event of the whole chain, or null if none was keyed by then
 * @param legacyEvents the events before the key, when the chain was keyed by then
 * @param before events that happened before this day were due
 */
record AuditCheckpoint(
    long throughId, byte[] hash, long count, Long keyedFrom, long legacyEvents, LocalDate before) {

  /** The action of the checkpoint event. */
  static final String ACTION = "audit.pruned";

  /** The newest checkpoint's details, if the trail was ever pruned. */
  static final String NEWEST =
      "SELECT details FROM audit_events WHERE action = '" + ACTION + "' ORDER BY id DESC LIMIT 1";

  /** Every checkpoint's details (a handful: one per pruning). */
  static final String ALL = "SELECT details FROM audit_events WHERE action = '" + ACTION + "'";

  JsonObject toJson() {
    return new JsonObject()
        .put("throughId", throughId)
        .put("hash", HexFormat.of().formatHex(hash))
        .put("count", count)
        .put("keyedFrom", keyedFrom)
        .put("legacyEvents", legacyEvents)
        .put("before", before.toString());
  }

  /** Reads a checkpoint event's details; throws on anything else. */
  static AuditCheckpoint fromDetails(String details) {
    JsonObject json = new JsonObject(details);
    return new AuditCheckpoint(
        json.getLong("throughId"),
        HexFormat.of().parseHex(json.getString("hash")),
        json.getLong("count"),
        json.getLong("keyedFrom"),
        json.getLong("legacyEvents"),
        LocalDate.parse(json.getString("before")));
  }
}
