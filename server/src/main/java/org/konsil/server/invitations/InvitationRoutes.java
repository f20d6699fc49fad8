package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.konsil.server.accounts.AuthenticatedUser;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.rooms.RoomRoutes;
import org.konsil.server.rooms.RoomService;

/**
 * REST routes: a room's invitations and their delivery, resending, registering with a code, and the
 * inviting organisation's answer to a registration.
 */
public final class InvitationRoutes {

  private final InvitationService invitations;
  private final RoomService rooms;

  public InvitationRoutes(InvitationService invitations, RoomService rooms) {
    this.invitations = invitations;
    this.rooms = rooms;
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
                  .compose(member -> invitations.ofRoom(room, user.organisationId()));
            });
    router.post("/invitations/:invitationId/resend").handler(this::resend);
    router
        .post("/invitations/:invitationId/confirmation")
        .respond(
            ctx -> rooms.decideRegistration(AuthenticatedUser.of(ctx), invitationId(ctx), true));
    router
        .post("/invitations/:invitationId/rejection")
        .respond(
            ctx -> rooms.decideRegistration(AuthenticatedUser.of(ctx), invitationId(ctx), false));
    router
        .get("/invitations/received")
        .respond(ctx -> invitations.received(AuthenticatedUser.of(ctx)));
    router.post("/registrations").respond(this::register);
  }

  private void resend(RoutingContext ctx) {
    UUID id;
    try {
      id = Json.uuid("invitationId", ctx.pathParam("invitationId"));
    } catch (ApiException e) {
      ctx.fail(ApiException.notFound("No such invitation."));
      return;
    }
    invitations
        .resend(AuthenticatedUser.of(ctx), id)
        .onSuccess(done -> ctx.response().setStatusCode(202).end())
        .onFailure(ctx::fail);
  }

  private static UUID invitationId(RoutingContext ctx) {
    try {
      return Json.uuid("invitationId", ctx.pathParam("invitationId"));
    } catch (ApiException e) {
      throw ApiException.notFound("No such invitation.");
    }
  }

  private Future<?> register(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String code = body.requiredText("code", 64);
    String email = body.requiredEmail("adminEmail");
    String name = body.requiredText("adminName", 200).trim();
    String password = body.requiredText("password", 201);
    ctx.response().setStatusCode(201);
    if (ctx.request().remoteAddress() == null) {
      throw ApiException.validation("No client address.");
    }
    return invitations.register(
        code, email, name, password, ctx.request().remoteAddress().hostAddress());
  }
}
