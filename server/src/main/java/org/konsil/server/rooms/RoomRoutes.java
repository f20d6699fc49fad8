package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.invitations.InviteeRequest;

/** REST routes for creating, listing and opening rooms. */
public final class RoomRoutes {

  private final RoomService rooms;
  private final RoomCreation creation;
  private final RoomMembership membership;

  public RoomRoutes(RoomService rooms, RoomCreation creation, RoomMembership membership) {
    this.rooms = rooms;
    this.creation = creation;
    this.membership = membership;
  }

  /** Adds this feature's routes to the API router (below /api/v1). */
  public void mount(Router router) {
    router.post("/rooms").respond(this::create);
    router
        .get("/rooms")
        .respond(
            ctx ->
                rooms
                    .list(AuthenticatedUser.of(ctx))
                    .map(list -> new JsonArray(list.stream().map(Room::toJson).toList())));
    router
        .get("/rooms/:roomId")
        .respond(ctx -> rooms.view(AuthenticatedUser.of(ctx), roomId(ctx)).map(Room::toJson));
    router
        .post("/rooms/:roomId/organisations")
        .respond(
            ctx -> {
              UUID room = roomId(ctx);
              UUID organisation = Json.body(ctx).requiredUuid("organisationId");
              return membership
                  .addOrganisation(AuthenticatedUser.of(ctx), room, organisation)
                  .map(Room::toJson);
            });
  }

  private Future<?> create(RoutingContext ctx) {
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    Json body = Json.body(ctx);
    String kind = body.optionalText("kind", 20);
    if (kind == null) {
      kind = "general";
    }
    if (!kind.equals("general") && !kind.equals("patient")) {
      throw ApiException.validation("'kind' must be general or patient.");
    }
    String title = body.requiredText("title", 200).trim();
    if (title.isEmpty()) {
      throw ApiException.validation("'title' is required.");
    }
    List<UUID> partners = body.uuidList("partnerOrganisationIds", RoomCreation.MAX_PARTNERS);
    boolean encrypted = Boolean.TRUE.equals(body.optionalBoolean("encrypted"));
    if (kind.equals("patient")) {
      if (body.raw().getValue("invitations") != null) {
        throw ApiException.validation(
            "Invite partners into a general room; a patient room needs their consent first.");
      }
      UUID patientId = body.requiredUuid("patientId");
      ctx.response().setStatusCode(201);
      return creation
          .createForPatient(user, patientId, title, partners, encrypted)
          .map(Room::toJson);
    }
    if (body.raw().containsKey("patientId")) {
      throw ApiException.validation("A general room has no 'patientId'.");
    }
    List<InviteeRequest> invitees = new java.util.ArrayList<>();
    Object raw = body.raw().getValue("invitations");
    if (raw != null) {
      if (!(raw instanceof JsonArray list) || list.size() > 10) {
        throw ApiException.validation("'invitations' must be a list of at most 10 partners.");
      }
      for (Object item : list) {
        if (!(item instanceof io.vertx.core.json.JsonObject invitee)) {
          throw ApiException.validation("Each invitation must be an object.");
        }
        invitees.add(InviteeRequest.from(Json.of(invitee)));
      }
    }
    Boolean now = body.optionalBoolean("inviteNow");
    ctx.response().setStatusCode(201);
    return creation
        .createGeneral(user, title, partners, invitees, Boolean.TRUE.equals(now), encrypted)
        .map(Room::toJson);
  }

  /** The room id from the path; a malformed one is refused like a room one is not a member of. */
  public static UUID roomId(RoutingContext ctx) {
    String raw = ctx.pathParam("roomId");
    try {
      if (raw != null && raw.length() == 36) {
        return UUID.fromString(raw);
      }
    } catch (IllegalArgumentException e) {
      // refused below
    }
    throw ApiException.notAMember();
  }
}
