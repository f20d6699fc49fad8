package org.konsil.server.invitations;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * An invitation an organisation registered with, as that organisation sees it: the room, the
 * inviting organisation, and whether it confirmed the registration yet.
 */
public record ReceivedInvitation(
    UUID id,
    UUID roomId,
    UUID invitingOrganisationId,
    String invitingOrganisationName,
    OffsetDateTime registeredAt,
    String status,
    OffsetDateTime decidedAt) {

  static ReceivedInvitation of(Invitation invitation) {
    return new ReceivedInvitation(
        invitation.id(),
        invitation.roomId(),
        invitation.invitedByOrg(),
        invitation.inviterName(),
        invitation.usedAt(),
        invitation.registrationStatus(),
        invitation.decidedAt());
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("room", roomId.toString())
        .put(
            "invitingOrganisation",
            new JsonObject()
                .put("id", invitingOrganisationId.toString())
                .put("name", invitingOrganisationName))
        .put("registeredAt", Times.iso(registeredAt))
        .put("status", status)
        .put("decidedAt", Times.iso(decidedAt));
  }
}
