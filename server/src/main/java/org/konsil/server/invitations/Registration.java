package org.konsil.server.invitations;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * What registering with an invitation code made: the activated organisation, its first admin, and
 * the room it waits to join until the inviting organisation answers ({@code status} pending).
 */
public record Registration(
    UUID organisationId,
    UUID userId,
    UUID roomId,
    String status,
    UUID invitingOrganisationId,
    String invitingOrganisationName) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("organisationId", organisationId.toString())
        .put("userId", userId.toString())
        .put("roomId", roomId.toString())
        .put("status", status)
        .put(
            "invitingOrganisation",
            new JsonObject()
                .put("id", invitingOrganisationId.toString())
                .put("name", invitingOrganisationName));
  }
}
