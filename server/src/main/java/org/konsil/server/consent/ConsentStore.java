package org.konsil.server.consent;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/**
 * SQL for consent versions, their covered organisations and stored documents. A {@link SqlTemplate}
 * is bound to the client it runs on and cannot be bound to another, so the reads that run on the
 * pool are templates built once here, and the statements that run in a caller's transaction are
 * bound to it per call, from the same constants and row mappers.
 */
final class ConsentStore {

  /** A consent version with its document's facts, its uploader and the organisations it covers. */
  private static final String CONSENT_SELECT =
      """
      SELECT c.*, f.media_type, f.size_bytes, f.sha256, u.display_name AS uploaded_by_name,
        rf.media_type AS revocation_media_type,
        ARRAY(SELECT co.organisation_id FROM consent_organisations co
          WHERE co.consent_id = c.id ORDER BY co.organisation_id) AS organisations
      FROM consents c JOIN stored_files f ON f.id = c.file_id
      JOIN users u ON u.id = c.uploaded_by
      LEFT JOIN stored_files rf ON rf.id = c.revocation_file_id
      """;

  private static final String LATEST =
      CONSENT_SELECT + "WHERE c.patient_id = #{patient} ORDER BY c.version DESC LIMIT 1";

  private static final String BY_ID = CONSENT_SELECT + "WHERE c.id = #{id}";

  private static final String LOCK_ROOMS_ABOUT =
      "SELECT id FROM rooms WHERE patient_id = #{patient} ORDER BY id FOR UPDATE";

  private static final String DEACTIVATE_ALL =
      "UPDATE consents SET status = 'inactive' WHERE patient_id = #{patient}";

  private static final String INSERT =
      """
      INSERT INTO consents (id, patient_id, version, status, file_id, uploaded_by, uploaded_at)
      VALUES (#{id}, #{patient}, #{version}, 'active', #{file}, #{by}, #{now})""";

  private static final String INSERT_COVERED =
      """
      INSERT INTO consent_organisations (consent_id, organisation_id)
      VALUES (#{consent}, #{org})""";

  private static final String REVOKE =
      """
      UPDATE consents SET status = 'inactive', revoked_at = #{now}, revoked_by = #{by},
        revocation_date = #{date}, revocation_file_id = #{doc}
      WHERE id = #{id}""";

  private static final String SHARES_A_ROOM_ABOUT =
      """
      SELECT 1 FROM rooms r JOIN room_members m ON m.room_id = r.id
      WHERE r.patient_id = #{patient} AND m.organisation_id = #{org} LIMIT 1""";

  private final SqlTemplate<Map<String, Object>, RowSet<Consent>> latest;
  private final SqlTemplate<Map<String, Object>, RowSet<Consent>> byId;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> sharesARoomAbout;

  ConsentStore(Pool pool) {
    this.latest = SqlTemplate.forQuery(pool, LATEST).mapTo(Consent.MAPPER);
    this.byId = SqlTemplate.forQuery(pool, BY_ID).mapTo(Consent.MAPPER);
    this.sharesARoomAbout = SqlTemplate.forQuery(pool, SHARES_A_ROOM_ABOUT);
  }

  /** The newest version of the patient's consent, active or not, or null. */
  Future<Consent> latest(UUID patientId) {
    return latest.execute(Map.of("patient", patientId)).map(Rows::firstOrNull);
  }

  /** The same in the caller's transaction. */
  Future<Consent> latest(SqlClient tx, UUID patientId) {
    return SqlTemplate.forQuery(tx, LATEST)
        .mapTo(Consent.MAPPER)
        .execute(Map.of("patient", patientId))
        .map(Rows::firstOrNull);
  }

  Future<Consent> byId(UUID consentId) {
    return byId.execute(Map.of("id", consentId)).map(Rows::firstOrNull);
  }

  Future<Consent> byId(SqlClient tx, UUID consentId) {
    return SqlTemplate.forQuery(tx, BY_ID)
        .mapTo(Consent.MAPPER)
        .execute(Map.of("id", consentId))
        .map(Rows::firstOrNull);
  }

  Future<Void> deactivateAll(SqlClient tx, UUID patientId) {
    return SqlTemplate.forUpdate(tx, DEACTIVATE_ALL)
        .execute(Map.of("patient", patientId))
        .mapEmpty();
  }

  Future<Void> insert(
      SqlClient tx,
      UUID id,
      UUID patientId,
      int version,
      UUID fileId,
      UUID by,
      OffsetDateTime now,
      List<UUID> organisations) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("patient", patientId);
    p.put("version", version);
    p.put("file", fileId);
    p.put("by", by);
    p.put("now", now);
    List<Map<String, Object>> covered = new ArrayList<>();
    for (UUID org : organisations) {
      covered.add(Map.of("consent", id, "org", org));
    }
    return SqlTemplate.forUpdate(tx, INSERT)
        .execute(p)
        .compose(
            done ->
                covered.isEmpty()
                    ? Future.succeededFuture()
                    : SqlTemplate.forUpdate(tx, INSERT_COVERED).executeBatch(covered).mapEmpty());
  }

  Future<Void> revoke(
      SqlClient tx, UUID consentId, UUID by, OffsetDateTime now, LocalDate date, UUID documentId) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", consentId);
    p.put("by", by);
    p.put("now", now);
    p.put("date", date);
    p.put("doc", documentId);
    return SqlTemplate.forUpdate(tx, REVOKE).execute(p).mapEmpty();
  }

  /** Whether the organisation is a member of a room about the patient. */
  Future<Boolean> sharesARoomAbout(UUID patientId, UUID org) {
    return sharesARoomAbout
        .execute(Map.of("patient", patientId, "org", org))
        .map(rows -> rows.size() > 0);
  }

  /**
   * Locks the patient's rooms for the rest of the transaction, in id order, and answers their ids.
   * Whether they take messages is the patient's revocation; nothing is marked on them.
   */
  Future<List<UUID>> lockRoomsAbout(SqlClient tx, UUID patientId) {
    return SqlTemplate.forQuery(tx, LOCK_ROOMS_ABOUT)
        .execute(Map.of("patient", patientId))
        .map(rows -> Rows.list(rows).stream().map(row -> row.getUUID("id")).toList());
  }
}
