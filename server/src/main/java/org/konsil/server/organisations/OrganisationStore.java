package org.konsil.server.organisations;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for organisations and their users. */
final class OrganisationStore {

  Future<Void> insertOrganisation(SqlClient client, Organisation o, OffsetDateTime now) {
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
    return SqlTemplate.forUpdate(
            client,
            "INSERT INTO organisations (id, kind, name, street, postal_code, city, email, fax,"
                + " status, created_at) VALUES (#{id}, #{kind}, #{name}, #{street}, #{postalCode},"
                + " #{city}, #{email}, #{fax}, #{status}, #{now})")
        .execute(p)
        .mapEmpty();
  }

  Future<Boolean> emailTaken(SqlClient client, String email) {
    return SqlTemplate.forQuery(client, "SELECT 1 FROM users WHERE lower(email) = lower(#{email})")
        .execute(Map.of("email", email))
        .map(rows -> rows.size() > 0);
  }

  Future<Void> insertUser(
      SqlClient client,
      UUID id,
      UUID organisationId,
      String email,
      String displayName,
      String role,
      OffsetDateTime now) {
    return SqlTemplate.forUpdate(
            client,
            "INSERT INTO users (id, organisation_id, email, display_name, role, status, created_at)"
                + " VALUES (#{id}, #{org}, #{email}, #{name}, #{role}, 'pending', #{now})")
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

  Future<Organisation> byId(SqlClient client, UUID id) {
    return SqlTemplate.forQuery(client, "SELECT * FROM organisations WHERE id = #{id}")
        .mapTo(Organisation.MAPPER)
        .execute(Map.of("id", id))
        .map(Rows::firstOrNull);
  }

  Future<List<Organisation>> activeByIds(SqlClient client, List<UUID> ids) {
    return SqlTemplate.forQuery(
            client, "SELECT * FROM organisations WHERE id = ANY(#{ids}) AND status = 'active'")
        .mapTo(Organisation.MAPPER)
        .execute(Map.of("ids", ids.toArray(new UUID[0])))
        .map(Rows::list);
  }

  /** Organisations (active or invited) with this e-mail address or fax number. */
  Future<List<Organisation>> byContact(SqlClient client, String email, String fax) {
    Map<String, Object> p = new HashMap<>();
    p.put("email", email);
    p.put("fax", fax);
    return SqlTemplate.forQuery(
            client,
            "SELECT * FROM organisations WHERE status IN ('active', 'invited')"
                + " AND ((#{email}::text IS NOT NULL AND lower(email) = lower(#{email}))"
                + " OR (#{fax}::text IS NOT NULL AND fax = #{fax})) ORDER BY lower(name) LIMIT 10")
        .mapTo(Organisation.MAPPER)
        .execute(p)
        .map(Rows::list);
  }

  Future<List<Organisation>> searchActive(SqlClient client, String query, String kind, int limit) {
    Map<String, Object> p = new HashMap<>();
    p.put(
        "pattern",
        query == null ? null : "%" + escapeLike(query.toLowerCase(java.util.Locale.ROOT)) + "%");
    p.put("kind", kind);
    p.put("limit", limit);
    return SqlTemplate.forQuery(
            client,
            "SELECT * FROM organisations WHERE status = 'active'"
                + " AND (#{pattern}::text IS NULL OR lower(name) LIKE #{pattern}"
                + " OR lower(coalesce(city, '')) LIKE #{pattern})"
                + " AND (#{kind}::text IS NULL OR kind = #{kind})"
                + " ORDER BY lower(name) LIMIT #{limit}")
        .mapTo(Organisation.MAPPER)
        .execute(p)
        .map(Rows::list);
  }

  Future<Void> setRequireSecondFactor(SqlClient client, UUID organisationId, boolean required) {
    return SqlTemplate.forUpdate(
            client, "UPDATE organisations SET require_second_factor = #{required} WHERE id = #{id}")
        .execute(Map.of("id", organisationId, "required", required))
        .mapEmpty();
  }

  Future<List<Member>> members(SqlClient client, UUID organisationId) {
    return SqlTemplate.forQuery(
            client,
            "SELECT id, email, display_name, role, status, totp_enabled FROM users"
                + " WHERE organisation_id = #{org} ORDER BY lower(display_name), id")
        .mapTo(Member.MAPPER)
        .execute(Map.of("org", organisationId))
        .map(Rows::list);
  }

  /** A user of this organisation only; null for anyone else's. */
  Future<Member> member(SqlClient client, UUID organisationId, UUID userId) {
    return SqlTemplate.forQuery(
            client,
            "SELECT id, email, display_name, role, status, totp_enabled FROM users"
                + " WHERE organisation_id = #{org} AND id = #{id}")
        .mapTo(Member.MAPPER)
        .execute(Map.of("org", organisationId, "id", userId))
        .map(Rows::firstOrNull);
  }

  /** A disabled user becomes active again, or pending if they never set a password. */
  Future<Void> enableUser(SqlClient client, UUID userId) {
    return SqlTemplate.forUpdate(
            client,
            "UPDATE users SET status = CASE WHEN password_hash IS NULL THEN 'pending'"
                + " ELSE 'active' END WHERE id = #{id} AND status = 'disabled'")
        .execute(Map.of("id", userId))
        .mapEmpty();
  }

  Future<Void> setUserStatus(SqlClient client, UUID userId, String status) {
    return SqlTemplate.forUpdate(client, "UPDATE users SET status = #{status} WHERE id = #{id}")
        .execute(Map.of("id", userId, "status", status))
        .mapEmpty();
  }

  private static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
