package org.konsil.server.invitations;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.konsil.server.accounts.PasswordService;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * REST routes: resending an invitation, the invitations an organisation received, and registering
 * with a code. A room's invitations and the inviting organisation's answer to a registration are in
 * {@code rooms.RoomInvitationRoutes}: both need the room.
 */
public final class InvitationRoutes {

  private final InvitationService invitations;
  private final RegistrationService registrations;

  public InvitationRoutes(InvitationService invitations, RegistrationService registrations) {
    this.invitations = invitations;
    this.registrations = registrations;
  }

  public void mount(Router router) {
    router.post("/invitations/:invitationId/resend").handler(this::resend);
    router
        .get("/invitations/received")
        .respond(
            ctx ->
                registrations
                    .received(AuthenticatedUser.of(ctx))
                    .map(
                        received ->
                            new JsonArray(
                                received.stream().map(ReceivedInvitation::toJson).toList())));
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

  /** The invitation id from the path; a malformed one is an unknown invitation. */
  public static UUID invitationId(RoutingContext ctx) {
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
    // The whole body before the code: an invalid body says nothing about a code and is no guess.
    PasswordService.checkPasswordRules(password);
    ctx.response().setStatusCode(201);
    if (ctx.request().remoteAddress() == null) {
      throw ApiException.validation("No client address.");
    }
    return registrations
        .register(code, email, name, password, ctx.request().remoteAddress().hostAddress())
        .map(Registration::toJson);
  }
}
