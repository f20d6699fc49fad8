package org.konsil.server.organisations;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.util.UUID;

/** A user as the organisation's administrators see them. */
public record Member(
    UUID id, String email, String displayName, String role, String status, boolean secondFactor) {

  static final RowMapper<Member> MAPPER =
      row ->
          new Member(
              row.getUUID("id"),
              row.getString("email"),
              row.getString("display_name"),
              row.getString("role"),
              row.getString("status"),
              row.getBoolean("totp_enabled"));

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("email", email)
        .put("displayName", displayName)
        .put("role", role)
        .put("status", status)
        .put("secondFactorEnabled", secondFactor);
  }
}
