package org.konsil.server.outreach;

import io.vertx.core.json.JsonObject;
import java.util.List;

/** A purpose a patient may allow contact for: one of the defaults or one the organisation added. */
public record ContactPurpose(String code, String label, boolean builtIn) {

  /** The purposes every organisation has. */
  public static final List<ContactPurpose> DEFAULTS =
      List.of(
          new ContactPurpose("appointment_reminder", "Appointment reminder", true),
          new ContactPurpose("recall", "Recall", true),
          new ContactPurpose("practice_news", "Practice news", true));

  public JsonObject toJson() {
    return new JsonObject().put("code", code).put("label", label).put("builtIn", builtIn);
  }
}
