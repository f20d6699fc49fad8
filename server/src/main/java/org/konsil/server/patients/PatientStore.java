package org.konsil.server.patients;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/**
 * SQL for patients. A {@link SqlTemplate} is bound to the client it runs on and cannot be bound to
 * another, so the read that runs on the pool is a template built once here, and the statements that
 * run in a caller's transaction are bound to it per call, from the same constants and row mappers.
 */
final class PatientStore {

  private static final String INSERT =
      """
      INSERT INTO patients (id, organisation_id, family_name, given_name, birth_date,
        insurance_number, email, mobile, created_by, created_at, salutation, street, postcode,
        city)
      VALUES (#{id}, #{org}, #{family}, #{given}, #{birth}, #{insurance}, #{email}, #{mobile},
        #{by}, #{now}, #{salutation}, #{street}, #{postcode}, #{city})""";

  private static final String SET_CONTACT =
      "UPDATE patients SET email = #{email}, mobile = #{mobile} WHERE id = #{id}";

  private static final String SET_ADDRESS =
      """
      UPDATE patients SET salutation = #{salutation}, street = #{street}, postcode = #{postcode},
        city = #{city}
      WHERE id = #{id} AND erased_at IS NULL""";

  /** An erased patient (a tombstone without identity) is no patient any more. */
  private static final String BY_ID =
      "SELECT * FROM patients WHERE id = #{id} AND erased_at IS NULL";

  private static final String LOCK = BY_ID + " FOR UPDATE";

  /** A revocation is this column and nothing else. */
  private static final String MARK_REVOKED =
      "UPDATE patients SET consent_revoked_at = #{now} WHERE id = #{id}";

  /** The organisation's patients by name and/or birth date, with their newest consent's status. */
  private static final String SEARCH =
      """
      SELECT p.*, (SELECT c.status FROM consents c WHERE c.patient_id = p.id
          ORDER BY c.version DESC LIMIT 1) AS consent_status
      FROM patients p WHERE organisation_id = #{org} AND erased_at IS NULL
        AND (#{pattern}::text IS NULL OR lower(family_name) LIKE #{pattern}
          OR lower(given_name) LIKE #{pattern}
          OR lower(given_name || ' ' || family_name) LIKE #{pattern})
        AND (#{birth}::date IS NULL OR birth_date = #{birth})
      ORDER BY lower(family_name), lower(given_name), birth_date LIMIT 50""";

  private final SqlTemplate<Map<String, Object>, RowSet<Patient>> byId;

  PatientStore(Pool pool) {
    this.byId = SqlTemplate.forQuery(pool, BY_ID).mapTo(Patient.MAPPER);
  }

  Future<Void> insert(SqlClient tx, Patient p, UUID createdBy, OffsetDateTime now) {
    Map<String, Object> params = new HashMap<>();
    params.put("id", p.id());
    params.put("org", p.organisationId());
    params.put("family", p.familyName());
    params.put("given", p.givenName());
    params.put("birth", p.birthDate());
    params.put("insurance", p.insuranceNumber());
    params.put("email", p.email());
    params.put("mobile", p.mobile());
    params.put("by", createdBy);
    params.put("now", now);
    putAddress(params, p.postalAddress());
    return SqlTemplate.forUpdate(tx, INSERT).execute(params).mapEmpty();
  }

  Future<Void> setAddress(SqlClient tx, UUID id, PostalAddress address) {
    Map<String, Object> params = new HashMap<>();
    params.put("id", id);
    putAddress(params, address);
    return SqlTemplate.forUpdate(tx, SET_ADDRESS).execute(params).mapEmpty();
  }

  private static void putAddress(Map<String, Object> params, PostalAddress address) {
    params.put("salutation", address.salutation());
    params.put("street", address.street());
    params.put("postcode", address.postcode());
    params.put("city", address.city());
  }

  /** The patient, or null. */
  Future<Patient> byId(UUID id) {
    return byId.execute(Map.of("id", id)).map(Rows::firstOrNull);
  }

  /** The patient, or null, locked for the rest of the transaction. */
  Future<Patient> lock(SqlClient tx, UUID id) {
    return SqlTemplate.forQuery(tx, LOCK)
        .mapTo(Patient.MAPPER)
        .execute(Map.of("id", id))
        .map(Rows::firstOrNull);
  }

  Future<List<FoundPatient>> search(SqlClient tx, UUID org, String name, LocalDate birthDate) {
    Map<String, Object> params = new HashMap<>();
    params.put("org", org);
    params.put(
        "pattern", name == null ? null : "%" + escapeLike(name.toLowerCase(Locale.ROOT)) + "%");
    params.put("birth", birthDate);
    return SqlTemplate.forQuery(tx, SEARCH)
        .mapTo(FoundPatient.MAPPER)
        .execute(params)
        .map(Rows::list);
  }

  Future<Void> setContact(SqlClient tx, UUID id, String email, String mobile) {
    Map<String, Object> params = new HashMap<>();
    params.put("id", id);
    params.put("email", email);
    params.put("mobile", mobile);
    return SqlTemplate.forUpdate(tx, SET_CONTACT).execute(params).mapEmpty();
  }

  Future<Void> markRevoked(SqlClient tx, UUID id, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, MARK_REVOKED).execute(Map.of("id", id, "now", now)).mapEmpty();
  }

  private static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
