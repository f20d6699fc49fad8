package org.konsil.server.search;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/**
 * SQL of the search. Each query starts from the user's organisation: its rooms, its patients and
 * the patients of its rooms, its rooms' messages. After a revocation partners find neither the
 * patient, nor the room by its title, nor its messages; nobody finds a revoked room's messages, and
 * nothing of an erased patient is found at all.
 */
final class SearchStore {

  static final int MAX_ROOMS = 20;
  static final int MAX_PATIENTS = 20;
  static final int MAX_MESSAGES = 30;
  static final int EXCERPT = 200;

  private static final String ROOMS =
      """
      SELECT r.id, r.kind, r.title, coalesce(r.last_message_at, r.created_at) AS activity
        FROM rooms r JOIN room_members me ON me.room_id = r.id AND me.organisation_id = #{org}
        LEFT JOIN patients pt ON pt.id = r.patient_id
       WHERE NOT coalesce(pt.erased_at IS NOT NULL
                          OR (pt.consent_revoked_at IS NOT NULL AND pt.organisation_id <> #{org}),
                          false)
         AND lower(r.title) LIKE ALL (#{patterns}::text[])
       ORDER BY activity DESC, r.id LIMIT %d"""
          .formatted(MAX_ROOMS);

  private static final String PATIENTS =
      """
      SELECT p.id, p.family_name, p.given_name, p.birth_date, p.organisation_id = #{org} AS own,
             p.consent_revoked_at IS NOT NULL AS revoked,
             (SELECT c.status FROM consents c WHERE c.patient_id = p.id
               ORDER BY c.version DESC LIMIT 1) AS consent_status,
             ARRAY(SELECT r.id FROM rooms r JOIN room_members m
                      ON m.room_id = r.id AND m.organisation_id = #{org}
                    WHERE r.patient_id = p.id ORDER BY r.created_at, r.id) AS rooms
        FROM patients p
       WHERE p.erased_at IS NULL AND (p.organisation_id = #{org}
              OR (p.consent_revoked_at IS NULL AND EXISTS (
                    SELECT 1 FROM rooms r JOIN room_members m
                        ON m.room_id = r.id AND m.organisation_id = #{org}
                     WHERE r.patient_id = p.id)))
         AND lower(p.family_name || ' ' || p.given_name) LIKE ALL (#{patterns}::text[])
       ORDER BY lower(p.family_name), lower(p.given_name), p.birth_date, p.id LIMIT %d"""
          .formatted(MAX_PATIENTS);

  /** Uses the index {@code messages_search_idx}: the same expression and condition. */
  private static final String MESSAGES =
      """
      SELECT m.room_id, r.title, m.seq, m.id, m.sent_at, left(m.content, %d) AS excerpt,
             u.display_name AS sender_name, o.name AS sender_org_name
        FROM messages m JOIN room_members me
          ON me.room_id = m.room_id AND me.organisation_id = #{org}
        JOIN rooms r ON r.id = m.room_id LEFT JOIN patients pt ON pt.id = r.patient_id
        LEFT JOIN users u ON u.id = m.sender_user_id
        LEFT JOIN organisations o ON o.id = m.sender_org_id
       WHERE m.kind = 'text' AND pt.consent_revoked_at IS NULL AND pt.erased_at IS NULL
         AND to_tsvector('simple', m.content) @@ to_tsquery('simple', #{words})
       ORDER BY m.sent_at DESC, m.id LIMIT %d"""
          .formatted(EXCERPT, MAX_MESSAGES);

  Future<List<SearchResults.FoundRoom>> rooms(SqlClient client, UUID org, SearchQuery query) {
    return SqlTemplate.forQuery(client, ROOMS)
        .mapTo(
            row ->
                new SearchResults.FoundRoom(
                    row.getUUID("id"),
                    row.getString("kind"),
                    row.getString("title"),
                    row.getOffsetDateTime("activity")))
        .execute(Map.of("org", org, "patterns", query.patterns()))
        .map(Rows::list);
  }

  Future<List<SearchResults.FoundPatient>> patients(SqlClient client, UUID org, SearchQuery query) {
    return SqlTemplate.forQuery(client, PATIENTS)
        .mapTo(
            row ->
                new SearchResults.FoundPatient(
                    row.getUUID("id"),
                    row.getString("family_name"),
                    row.getString("given_name"),
                    row.getLocalDate("birth_date"),
                    row.getBoolean("own"),
                    row.getBoolean("revoked")
                        ? "revoked"
                        : "active".equals(row.getString("consent_status")) ? "active" : "none",
                    Arrays.asList(row.getArrayOfUUIDs("rooms"))))
        .execute(Map.of("org", org, "patterns", query.patterns()))
        .map(Rows::list);
  }

  Future<List<SearchResults.FoundMessage>> messages(SqlClient client, UUID org, SearchQuery query) {
    return SqlTemplate.forQuery(client, MESSAGES)
        .mapTo(
            row ->
                new SearchResults.FoundMessage(
                    row.getUUID("room_id"),
                    row.getString("title"),
                    row.getLong("seq"),
                    row.getUUID("id"),
                    row.getOffsetDateTime("sent_at"),
                    row.getString("sender_name"),
                    row.getString("sender_org_name"),
                    row.getString("excerpt")))
        .execute(Map.of("org", org, "words", query.prefixQuery()))
        .map(Rows::list);
  }
}
