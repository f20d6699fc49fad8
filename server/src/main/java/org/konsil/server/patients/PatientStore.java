package org.konsil.server.patients;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for patients. */
final class PatientStore {

  Future<Void> insert(SqlClient tx, Patient p, UUID createdBy, OffsetDateTime now) {
    Map<String, Object> params = new HashMap<>();
    params.put("id", p.id());
    params.put("org", p.organisationId());
    params.put("family", p.familyName());
    params.put("given", p.givenName());
    params.put("birth", p.birthDate());
    params.put("insurance", p.insuranceNumber());
    params.put("by", createdBy);
    params.put("now", now);
    return SqlTemplate.forUpdate(
            tx,
            "INSERT INTO patients (id, organisation_id, family_name, given_name, birth_date,"
                + " insurance_number, created_by, created_at) VALUES (#{id}, #{org}, #{family},"
                + " #{given}, #{birth}, #{insurance}, #{by}, #{now})")
        .execute(params)
        .mapEmpty();
  }

  /** The patient, or null; optionally locking the row for the rest of the transaction. */
  Future<Patient> byId(SqlClient client, UUID id, boolean forUpdate) {
    return SqlTemplate.forQuery(
            client, "SELECT * FROM patients WHERE id = #{id}" + (forUpdate ? " FOR UPDATE" : ""))
        .mapTo(Patient.MAPPER)
        .execute(Map.of("id", id))
        .map(Rows::firstOrNull);
  }

  Future<List<io.vertx.core.json.JsonObject>> search(
      SqlClient client, UUID org, String name, LocalDate birthDate) {
    Map<String, Object> params = new HashMap<>();
    params.put("org", org);
    params.put(
        "pattern",
        name == null ? null : "%" + escapeLike(name.toLowerCase(java.util.Locale.ROOT)) + "%");
    params.put("birth", birthDate);
    return SqlTemplate.forQuery(
            client,
            "SELECT p.*, (SELECT c.status FROM consents c WHERE c.patient_id = p.id"
                + " ORDER BY c.version DESC LIMIT 1) AS consent_status"
                + " FROM patients p WHERE organisation_id = #{org}"
                + " AND (#{pattern}::text IS NULL OR lower(family_name) LIKE #{pattern}"
                + " OR lower(given_name) LIKE #{pattern}"
                + " OR lower(given_name || ' ' || family_name) LIKE #{pattern})"
                + " AND (#{birth}::date IS NULL OR birth_date = #{birth})"
                + " ORDER BY lower(family_name), lower(given_name), birth_date LIMIT 50")
        .execute(params)
        .map(
            rows ->
                Rows.list(rows).stream()
                    .map(
                        row ->
                            Patient.MAPPER
                                .map(row)
                                .toJson()
                                .put("consent", consentState(row.getString("consent_status"), row)))
                    .toList());
  }

  Future<Void> markRevoked(SqlClient tx, UUID id, OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            tx, "UPDATE patients SET consent_revoked_at = #{now} WHERE id = #{id}")
        .execute(Map.of("id", id, "now", now))
        .mapEmpty();
  }

  /** none, active or revoked: what a search shows next to each patient. */
  private static String consentState(String latestStatus, io.vertx.sqlclient.Row row) {
    if (row.getOffsetDateTime("consent_revoked_at") != null) {
      return "revoked";
    }
    return "active".equals(latestStatus) ? "active" : "none";
  }

  private static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
