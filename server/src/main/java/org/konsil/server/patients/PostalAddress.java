package org.konsil.server.patients;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/**
 * Where a letter to the patient goes: the salutation and the postal address, each part optional.
 * Complete when street, postcode and city are there; a German postcode has five digits.
 */
public record PostalAddress(String salutation, String street, String postcode, String city) {

  public static final PostalAddress NONE = new PostalAddress(null, null, null, null);

  static PostalAddress of(Row row) {
    return new PostalAddress(
        row.getString("salutation"),
        row.getString("street"),
        row.getString("postcode"),
        row.getString("city"));
  }

  /** Whether a letter can be addressed at all. */
  public boolean present() {
    return street != null && postcode != null && city != null;
  }

  /** Whether the postcode is one a letter in Germany can carry (five digits). */
  public boolean valid() {
    return present() && postcode.matches("[0-9]{5}");
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("salutation", salutation)
        .put("street", street)
        .put("postcode", postcode)
        .put("city", city);
  }
}
