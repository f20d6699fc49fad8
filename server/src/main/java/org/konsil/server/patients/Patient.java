package org.konsil.server.patients;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * A patient of one organisation, with where their consent stands and their own contact details
 * (e-mail, mobile in E.164; both optional), which only their organisation ever sees.
 */
public record Patient(
    UUID id,
    UUID organisationId,
    String familyName,
    String givenName,
    LocalDate birthDate,
    String insuranceNumber,
    String email,
    String mobile,
    OffsetDateTime consentRevokedAt,
    PostalAddress postalAddress) {

  static final RowMapper<Patient> MAPPER =
      row ->
          new Patient(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getString("family_name"),
              row.getString("given_name"),
              row.getLocalDate("birth_date"),
              row.getString("insurance_number"),
              row.getString("email"),
              row.getString("mobile"),
              row.getOffsetDateTime("consent_revoked_at"),
              PostalAddress.of(row));

  public Patient withContact(String newEmail, String newMobile) {
    return new Patient(
        id,
        organisationId,
        familyName,
        givenName,
        birthDate,
        insuranceNumber,
        newEmail,
        newMobile,
        consentRevokedAt,
        postalAddress);
  }

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
        .put("email", email)
        .put("mobile", mobile)
        .put("consentRevokedAt", Times.iso(consentRevokedAt))
        .put("postalAddress", postalAddress.toJson());
  }
}
