package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for contact permissions (insert-only history) and the organisation's own purposes. */
final class ContactPermissionStore {

  private static final String INSERT =
      """
      INSERT INTO contact_permissions (id, patient_id, channel, purpose, kind, effective_date,
        source, file_id, recorded_by, recorded_at)
      VALUES (#{id}, #{patient}, #{channel}, #{purpose}, #{kind}, #{date}, #{source}, #{file},
        #{by}, #{now})""";

  private static final String HISTORY =
      "SELECT * FROM contact_permissions WHERE patient_id = #{patient} ORDER BY seq DESC";

  private static final String BY_ID = "SELECT * FROM contact_permissions WHERE id = #{id}";

  /** The newest entry per patient for one channel and purpose. */
  private static final String CURRENT =
      """
      SELECT DISTINCT ON (patient_id) * FROM contact_permissions
      WHERE patient_id = ANY(#{patients}) AND channel = #{channel} AND purpose = #{purpose}
      ORDER BY patient_id, seq DESC""";

  private static final String PURPOSES =
      "SELECT code, label FROM contact_purposes WHERE organisation_id = #{org} ORDER BY code";

  private static final String ADD_PURPOSE =
      """
      INSERT INTO contact_purposes (organisation_id, code, label, created_by, created_at)
      VALUES (#{org}, #{code}, #{label}, #{by}, #{now}) ON CONFLICT DO NOTHING""";

  private static final String MEDIA_TYPE = "SELECT media_type FROM stored_files WHERE id = #{id}";

  private final SqlTemplate<Map<String, Object>, RowSet<ContactPermission>> history;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> mediaType;
  private final SqlTemplate<Map<String, Object>, RowSet<ContactPermission>> byId;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> purposes;

  ContactPermissionStore(Pool pool) {
    this.history = SqlTemplate.forQuery(pool, HISTORY).mapTo(ContactPermission.MAPPER);
    this.byId = SqlTemplate.forQuery(pool, BY_ID).mapTo(ContactPermission.MAPPER);
    this.purposes = SqlTemplate.forQuery(pool, PURPOSES);
    this.mediaType = SqlTemplate.forQuery(pool, MEDIA_TYPE);
  }

  Future<String> mediaType(UUID fileId) {
    return mediaType
        .execute(Map.of("id", fileId))
        .map(rows -> rows.iterator().next().getString("media_type"));
  }

  Future<Void> insert(SqlClient tx, ContactPermission p) {
    Map<String, Object> params = new HashMap<>();
    params.put("id", p.id());
    params.put("patient", p.patientId());
    params.put("channel", p.channel());
    params.put("purpose", p.purpose());
    params.put("kind", p.kind());
    params.put("date", p.date());
    params.put("source", p.source());
    params.put("file", p.documentId());
    params.put("by", p.recordedBy());
    params.put("now", p.recordedAt());
    return SqlTemplate.forUpdate(tx, INSERT).execute(params).mapEmpty();
  }

  Future<List<ContactPermission>> history(UUID patient) {
    return history.execute(Map.of("patient", patient)).map(Rows::list);
  }

  Future<ContactPermission> byId(UUID id) {
    return byId.execute(Map.of("id", id)).map(Rows::firstOrNull);
  }

  /** The newest entry per patient (absent: never granted), in the caller's client. */
  Future<Map<UUID, ContactPermission>> current(
      SqlClient client, Collection<UUID> patients, String channel, String purpose) {
    Map<String, Object> params = new HashMap<>();
    params.put("patients", patients.toArray(new UUID[0]));
    params.put("channel", channel);
    params.put("purpose", purpose);
    return SqlTemplate.forQuery(client, CURRENT)
        .mapTo(ContactPermission.MAPPER)
        .execute(params)
        .map(
            rows -> {
              Map<UUID, ContactPermission> current = new HashMap<>();
              rows.forEach(row -> current.put(row.patientId(), row));
              return current;
            });
  }

  Future<List<ContactPurpose>> purposes(UUID org) {
    return purposes
        .execute(Map.of("org", org))
        .map(
            rows -> {
              List<ContactPurpose> all = new ArrayList<>(ContactPurpose.DEFAULTS);
              rows.forEach(
                  row ->
                      all.add(
                          new ContactPurpose(
                              row.getString("code"), row.getString("label"), false)));
              return all;
            });
  }

  Future<Boolean> addPurpose(
      SqlClient tx, UUID org, String code, String label, UUID by, OffsetDateTime now) {
    Map<String, Object> params = new HashMap<>();
    params.put("org", org);
    params.put("code", code);
    params.put("label", label);
    params.put("by", by);
    params.put("now", now);
    return SqlTemplate.forUpdate(tx, ADD_PURPOSE).execute(params).map(r -> r.rowCount() == 1);
  }
}
