package org.konsil.server.records;

import io.vertx.core.json.JsonObject;

/**
 * How long an organisation keeps its rooms after their newest message, in years: rooms about a
 * patient (medical documentation, at least ten years by §630f (3) BGB, at most thirty, the longest
 * limitation period of §199 (2) BGB) and general rooms (correspondence, six years by default as
 * commercial letters under §257 HGB, one to thirty).
 */
public record Retention(int patientRoomYears, int generalRoomYears) {

  public static final int PATIENT_MIN = 10;
  public static final int PATIENT_MAX = 30;
  public static final int GENERAL_MIN = 1;
  public static final int GENERAL_MAX = 30;

  public static final Retention DEFAULTS = new Retention(10, 6);

  /** Outbox rows (mail and fax payloads, delivery status) go this many days after sending. */
  public static final int OUTBOX_DAYS = 30;

  public JsonObject toJson() {
    return new JsonObject()
        .put("patientRoomYears", patientRoomYears)
        .put("generalRoomYears", generalRoomYears)
        .put("outboxDays", OUTBOX_DAYS);
  }
}
