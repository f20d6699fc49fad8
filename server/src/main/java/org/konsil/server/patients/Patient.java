package org.konsil.server.patients;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/** A patient of one organisation, with where their consent stands. */
public record Patient(
    UUID id,
    UUID organisationId,
    String familyName,
    String givenName,
    LocalDate birthDate,
    String insuranceNumber,
    OffsetDateTime consentRevokedAt) {

  static final RowMapper<Patient> MAPPER =
      row ->
          new Patient(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getString("family_name"),
              row.getString("given_name"),
              row.getLocalDate("birth_date"),
              row.getString("insurance_number"),
              row.getOffsetDateTime("consent_revoked_at"));

  public boolean revoked() {
    return consentRevokedAt != null;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("organisationId", organisationId.toString())
        .put("familyName", familyName)
        .put("givenName", givenName)
        .put("birthDate", birthDate.toString())
        .put("insuranceNumber", insuranceNumber)
        .put("consentRevokedAt", Times.iso(consentRevokedAt));
  }
}
