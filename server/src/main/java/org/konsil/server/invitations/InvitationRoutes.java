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

/** REST routes: a room's invitations and their delivery, resending, and registering with a code. */
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
              return rooms
                  .requireMember(AuthenticatedUser.of(ctx), room)
                  .compose(member -> invitations.ofRoom(room));
            });
    router.post("/invitations/:invitationId/resend").handler(this::resend);
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
