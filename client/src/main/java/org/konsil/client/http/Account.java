package org.konsil.client.http;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** The logged-in user as the server describes them. */
public record Account(
    UUID id, String email, String displayName, UUID organisationId, String organisationName) {

  static Account from(JsonObject user) {
    JsonObject organisation = user.getJsonObject("organisation");
    return new Account(
        UUID.fromString(user.getString("id")),
        user.getString("email"),
        user.getString("displayName"),
        UUID.fromString(organisation.getString("id")),
        organisation.getString("name"));
  }
}
