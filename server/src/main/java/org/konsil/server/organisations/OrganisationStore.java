package org.konsil.server.organisations;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/**
 * SQL for organisations and their users. A {@link SqlTemplate} is bound to the client it runs on
 * and cannot be bound to another, so the statements that run on the pool are templates built once
 * here, and the ones that run in a caller's transaction are bound to it per call, from the same
 * constants and row mappers.
 */
final class OrganisationStore {

  private static final String INSERT_ORGANISATION =
      """
      INSERT INTO organisations (id, kind, name, street, postal_code, city, email, fax, status,
        created_at)
      VALUES (#{id}, #{kind}, #{name}, #{street}, #{postalCode}, #{city}, #{email}, #{fax},
        #{status}, #{now})""";

  private static final String EMAIL_TAKEN =
      "SELECT 1 FROM users WHERE lower(email) = lower(#{email})";

  private static final String INSERT_USER =
      """
      INSERT INTO users (id, organisation_id, email, display_name, role, status, created_at)
      VALUES (#{id}, #{org}, #{email}, #{name}, #{role}, 'pending', #{now})""";

  private static final String BY_ID = "SELECT * FROM organisations WHERE id = #{id}";

  private static final String ACTIVE_BY_IDS =
      "SELECT * FROM organisations WHERE id = ANY(#{ids}) AND status = 'active'";

  /** Organisations (active or invited) with this e-mail address or fax number. */
  private static final String BY_CONTACT =
      """
      SELECT * FROM organisations WHERE status IN ('active', 'invited')
        AND ((#{email}::text IS NOT NULL AND lower(email) = lower(#{email}))
          OR (#{fax}::text IS NOT NULL AND fax = #{fax}))
      ORDER BY lower(name) LIMIT 10""";

  private static final String SEARCH_ACTIVE =
      """
      SELECT * FROM organisations WHERE status = 'active'
        AND (#{pattern}::text IS NULL OR lower(name) LIKE #{pattern}
          OR lower(coalesce(city, '')) LIKE #{pattern})
        AND (#{kind}::text IS NULL OR kind = #{kind})
      ORDER BY lower(name) LIMIT #{limit}""";

  private static final String SET_REQUIRE_SECOND_FACTOR =
      "UPDATE organisations SET require_second_factor = #{required} WHERE id = #{id}";

  private static final String MEMBERS =
      """
      SELECT id, email, display_name, role, status, totp_enabled FROM users
      WHERE organisation_id = #{org} ORDER BY lower(display_name), id""";

  private static final String MEMBER =
      """
      SELECT id, email, display_name, role, status, totp_enabled FROM users
      WHERE organisation_id = #{org} AND id = #{id}""";

  /** A disabled user becomes active again, or pending if they never set a password. */
  private static final String ENABLE_USER =
      """
      UPDATE users SET status = CASE WHEN password_hash IS NULL THEN 'pending' ELSE 'active' END
      WHERE id = #{id} AND status = 'disabled'""";

  private static final String SET_USER_STATUS =
      "UPDATE users SET status = #{status} WHERE id = #{id}";

  private final SqlTemplate<Map<String, Object>, RowSet<Organisation>> byId;
  private final SqlTemplate<Map<String, Object>, RowSet<Organisation>> activeByIds;
  private final SqlTemplate<Map<String, Object>, RowSet<Organisation>> byContact;
  private final SqlTemplate<Map<String, Object>, RowSet<Organisation>> searchActive;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> setRequireSecondFactor;
  private final SqlTemplate<Map<String, Object>, RowSet<Member>> members;

  OrganisationStore(Pool pool) {
    this.byId = SqlTemplate.forQuery(pool, BY_ID).mapTo(Organisation.MAPPER);
    this.activeByIds = SqlTemplate.forQuery(pool, ACTIVE_BY_IDS).mapTo(Organisation.MAPPER);
    this.byContact = SqlTemplate.forQuery(pool, BY_CONTACT).mapTo(Organisation.MAPPER);
    this.searchActive = SqlTemplate.forQuery(pool, SEARCH_ACTIVE).mapTo(Organisation.MAPPER);
    this.setRequireSecondFactor = SqlTemplate.forUpdate(pool, SET_REQUIRE_SECOND_FACTOR);
    this.members = SqlTemplate.forQuery(pool, MEMBERS).mapTo(Member.MAPPER);
  }

  Future<Void> insertOrganisation(SqlClient tx, Organisation o, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", o.id());
    p.put("kind", o.kind());
    p.put("name", o.name());
    p.put("street", o.street());
    p.put("postalCode", o.postalCode());
    p.put("city", o.city());
    p.put("email", o.email());
    p.put("fax", o.fax());
    p.put("status", o.status());
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, INSERT_ORGANISATION).execute(p).mapEmpty();
  }

  Future<Boolean> emailTaken(SqlClient tx, String email) {
    return SqlTemplate.forQuery(tx, EMAIL_TAKEN)
        .execute(Map.of("email", email))
        .map(rows -> rows.size() > 0);
  }

  Future<Void> insertUser(
      SqlClient tx,
      UUID id,
      UUID organisationId,
      String email,
      String displayName,
      String role,
      OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, INSERT_USER)
        .execute(
            Map.of(
                "id",
                id,
                "org",
                organisationId,
                "email",
                email,
                "name",
                displayName,
                "role",
                role,
                "now",
                now))
        .mapEmpty();
  }

  Future<Organisation> byId(UUID id) {
    return byId.execute(Map.of("id", id)).map(Rows::firstOrNull);
  }

  Future<List<Organisation>> activeByIds(List<UUID> ids) {
    return activeByIds.execute(Map.of("ids", ids.toArray(new UUID[0]))).map(Rows::list);
  }

  /** Organisations (active or invited) with this e-mail address or fax number. */
  Future<List<Organisation>> byContact(String email, String fax) {
    Map<String, Object> p = new HashMap<>();
    p.put("email", email);
    p.put("fax", fax);
    return byContact.execute(p).map(Rows::list);
  }

  Future<List<Organisation>> searchActive(String query, String kind, int limit) {
    Map<String, Object> p = new HashMap<>();
    p.put("pattern", query == null ? null : "%" + escapeLike(query.toLowerCase(Locale.ROOT)) + "%");
    p.put("kind", kind);
    p.put("limit", limit);
    return searchActive.execute(p).map(Rows::list);
  }

  Future<Void> setRequireSecondFactor(UUID organisationId, boolean required) {
    return setRequireSecondFactor
        .execute(Map.of("id", organisationId, "required", required))
        .mapEmpty();
  }

  Future<List<Member>> members(UUID organisationId) {
    return members.execute(Map.of("org", organisationId)).map(Rows::list);
  }

  /** A user of this organisation only; null for anyone else's. */
  Future<Member> member(SqlClient tx, UUID organisationId, UUID userId) {
    return SqlTemplate.forQuery(tx, MEMBER)
        .mapTo(Member.MAPPER)
        .execute(Map.of("org", organisationId, "id", userId))
        .map(Rows::firstOrNull);
  }

  /** A disabled user becomes active again, or pending if they never set a password. */
  Future<Void> enableUser(SqlClient tx, UUID userId) {
    return SqlTemplate.forUpdate(tx, ENABLE_USER).execute(Map.of("id", userId)).mapEmpty();
  }

  Future<Void> setUserStatus(SqlClient tx, UUID userId, String status) {
    return SqlTemplate.forUpdate(tx, SET_USER_STATUS)
        .execute(Map.of("id", userId, "status", status))
        .mapEmpty();
  }

  private static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
