package org.konsil.server.organisations;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.util.List;
import java.util.UUID;

/** A practice, clinic, care home or other member of the care network. */
public record Organisation(
    UUID id,
    String kind,
    String name,
    String street,
    String postalCode,
    String city,
    String email,
    String fax,
    String status,
    boolean requireSecondFactor) {

  public static final List<String> KINDS =
      List.of(
          "practice",
          "clinic",
          "rehab",
          "care_service",
          "care_home",
          "pharmacy",
          "therapy",
          "insurer",
          "other");

  static final RowMapper<Organisation> MAPPER =
      row ->
          new Organisation(
              row.getUUID("id"),
              row.getString("kind"),
              row.getString("name"),
              row.getString("street"),
              row.getString("postal_code"),
              row.getString("city"),
              row.getString("email"),
              row.getString("fax"),
              row.getString("status"),
              row.getBoolean("require_second_factor"));

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("kind", kind)
        .put("name", name)
        .put("street", street)
        .put("postalCode", postalCode)
        .put("city", city)
        .put("email", email)
        .put("fax", fax)
        .put("status", status)
        .put("requireSecondFactor", requireSecondFactor);
  }

  /** What other organisations see in the directory. */
  public JsonObject toDirectoryJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("kind", kind)
        .put("name", name)
        .put("city", city);
  }
}
