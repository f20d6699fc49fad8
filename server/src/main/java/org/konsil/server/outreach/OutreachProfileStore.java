package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** SQL for the patients' outreach profiles (tags and recall date) and the filters over them. */
final class OutreachProfileStore {

  private static final String ONE =
      """
      SELECT tags, recall_due FROM patient_outreach_profiles
      WHERE patient_id = #{patient} AND organisation_id = #{org}""";

  /** The organisation comes from the patient row, so no profile names another's patient. */
  private static final String REPLACE =
      """
      INSERT INTO patient_outreach_profiles (patient_id, organisation_id, tags, tag_keys,
        recall_due, updated_by, updated_at)
      SELECT id, organisation_id, #{tags}, #{keys}, #{due}, #{by}, #{now} FROM patients
      WHERE id = #{patient} AND organisation_id = #{org} AND erased_at IS NULL
      ON CONFLICT (patient_id) DO UPDATE SET tags = excluded.tags, tag_keys = excluded.tag_keys,
        recall_due = excluded.recall_due, updated_by = excluded.updated_by,
        updated_at = excluded.updated_at""";

  /** The organisation's patients with this tag (its key), by name. */
  private static final String BY_TAG =
      """
      SELECT p.id FROM patients p JOIN patient_outreach_profiles o ON o.patient_id = p.id
      WHERE p.organisation_id = #{org} AND o.organisation_id = #{org} AND p.erased_at IS NULL
        AND o.tag_keys @> ARRAY[#{key}]::text[]
      ORDER BY lower(p.family_name), lower(p.given_name), p.id LIMIT #{limit}""";

  /** The organisation's patients whose recall is due on or before the day, by name. */
  private static final String BY_RECALL =
      """
      SELECT p.id FROM patients p JOIN patient_outreach_profiles o ON o.patient_id = p.id
      WHERE p.organisation_id = #{org} AND o.organisation_id = #{org} AND p.erased_at IS NULL
        AND o.recall_due <= #{day}
      ORDER BY lower(p.family_name), lower(p.given_name), p.id LIMIT #{limit}""";

  /** The patient's profile; an empty one when nothing was ever set. */
  Future<OutreachProfile> one(SqlClient client, UUID org, UUID patient) {
    return SqlTemplate.forQuery(client, ONE)
        .execute(Map.of("patient", patient, "org", org))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return new OutreachProfile(patient, List.of(), null);
              }
              Row row = rows.iterator().next();
              return new OutreachProfile(
                  patient, List.of(row.getArrayOfStrings("tags")), row.getLocalDate("recall_due"));
            });
  }

  /** Replaces the profile of the organisation's patient; false when there is no such patient. */
  Future<Boolean> replace(
      SqlClient tx,
      UUID org,
      UUID patient,
      List<String> tags,
      LocalDate recallDue,
      UUID by,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("patient", patient);
    p.put("org", org);
    p.put("tags", tags.toArray(new String[0]));
    p.put("keys", tags.stream().map(OutreachProfile::key).toArray(String[]::new));
    p.put("due", recallDue);
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, REPLACE).execute(p).map(r -> r.rowCount() == 1);
  }

  Future<List<UUID>> byTag(SqlClient client, UUID org, String tag, int limit) {
    return ids(client, BY_TAG, Map.of("org", org, "key", OutreachProfile.key(tag), "limit", limit));
  }

  Future<List<UUID>> byRecallDue(SqlClient client, UUID org, LocalDate day, int limit) {
    return ids(client, BY_RECALL, Map.of("org", org, "day", day, "limit", limit));
  }

  private static Future<List<UUID>> ids(SqlClient client, String sql, Map<String, Object> p) {
    return SqlTemplate.forQuery(client, sql)
        .execute(p)
        .map(
            rows -> {
              List<UUID> ids = new java.util.ArrayList<>();
              rows.forEach(row -> ids.add(row.getUUID("id")));
              return ids;
            });
  }
}
