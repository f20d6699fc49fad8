package org.konsil.server.rooms;

import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import java.util.UUID;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.invitations.InvitationRoutes;
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.invitations.RoomInvitation;

/**
 * REST routes about invitations that need the room: a room's invitations and their delivery, and
 * the inviting organisation's answer to a registration, which lets the newcomer into the room.
 */
public final class RoomInvitationRoutes {

  private final InvitationService invitations;
  private final RoomService rooms;
  private final RegistrationDecisions decisions;

  public RoomInvitationRoutes(
      InvitationService invitations, RoomService rooms, RegistrationDecisions decisions) {
    this.invitations = invitations;
    this.rooms = rooms;
    this.decisions = decisions;
  }

  public void mount(Router router) {
    router
        .get("/rooms/:roomId/invitations")
        .respond(
            ctx -> {
              UUID room = RoomRoutes.roomId(ctx);
              AuthenticatedUser user = AuthenticatedUser.of(ctx);
              return rooms
                  .requireMember(user, room)
                  .compose(member -> invitations.ofRoom(room, user.organisationId()))
                  .map(list -> new JsonArray(list.stream().map(RoomInvitation::toJson).toList()));
            });
    router
        .post("/invitations/:invitationId/confirmation")
        .respond(
            ctx ->
                decisions
                    .decideRegistration(
                        AuthenticatedUser.of(ctx), InvitationRoutes.invitationId(ctx), true)
                    .map(RoomInvitation::toJson));
    router
        .post("/invitations/:invitationId/rejection")
        .respond(
            ctx ->
                decisions
                    .decideRegistration(
                        AuthenticatedUser.of(ctx), InvitationRoutes.invitationId(ctx), false)
                    .map(RoomInvitation::toJson));
  }
}
