package org.konsil.server.patients;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;

/** A patient as a search finds them, with where their consent stands: none, active or revoked. */
public record FoundPatient(Patient patient, String consent) {

  static final RowMapper<FoundPatient> MAPPER =
      row -> {
        Patient patient = Patient.MAPPER.map(row);
        String consent =
            patient.revoked()
                ? "revoked"
                : "active".equals(row.getString("consent_status")) ? "active" : "none";
        return new FoundPatient(patient, consent);
      };

  public JsonObject toJson() {
    return patient.toJson().put("consent", consent);
  }
}
