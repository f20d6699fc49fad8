package org.konsil.server.organisations;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;

/** REST routes: the directory, one's own organisation, and its user management. */
public final class OrganisationRoutes {

  private final OrganisationService organisations;
  private final MemberAdministration members;

  public OrganisationRoutes(OrganisationService organisations, MemberAdministration members) {
    this.organisations = organisations;
    this.members = members;
  }

  /** Adds this feature's routes to the API router (below /api/v1). */
  public void mount(Router router) {
    RouteTable.query(router.get("/organisations"), "query", "kind", "email", "fax")
        .respond(this::directory);
    router
        .get("/organisation")
        .respond(ctx -> organisations.view(AuthenticatedUser.of(ctx)).map(Organisation::toJson));
    router.patch("/organisation").respond(this::updateSettings);
    router
        .get("/organisation/users")
        .respond(
            ctx ->
                organisations
                    .members(AuthenticatedUser.of(ctx))
                    .map(members -> new JsonArray(members.stream().map(Member::toJson).toList())));
    router.post("/organisation/users").respond(this::addUser);
    router
        .post("/organisation/users/:userId/disable")
        .respond(
            ctx ->
                organisations
                    .disableUser(AuthenticatedUser.of(ctx), pathId(ctx))
                    .map(Member::toJson));
    router
        .post("/organisation/users/:userId/password-link")
        .respond(
            ctx ->
                organisations
                    .sendPasswordLink(AuthenticatedUser.of(ctx), pathId(ctx))
                    .map(Member::toJson));
    router
        .put("/organisation/users/:userId/role")
        .respond(
            ctx -> {
              UUID userId = pathId(ctx);
              String role = Json.body(ctx).requiredText("role", 20);
              return members
                  .changeRole(AuthenticatedUser.of(ctx), userId, role)
                  .map(Member::toJson);
            });
    router
        .post("/organisation/users/:userId/second-factor-reset")
        .respond(
            ctx ->
                members
                    .resetSecondFactor(AuthenticatedUser.of(ctx), pathId(ctx))
                    .map(Member::toJson));
    router
        .post("/organisation/users/:userId/enable")
        .respond(
            ctx ->
                organisations
                    .enableUser(AuthenticatedUser.of(ctx), pathId(ctx))
                    .map(Member::toJson));
  }

  private Future<?> directory(RoutingContext ctx) {
    String query = ctx.queryParams().get("query");
    if (query != null && query.length() > 200) {
      throw ApiException.validation("'query' must be at most 200 characters long.");
    }
    String email = ctx.queryParams().get("email");
    String fax = ctx.queryParams().get("fax");
    if (email != null || fax != null) {
      String e164 = null;
      if (fax != null) {
        try {
          e164 = org.konsil.fax.FaxNumber.parse(fax).e164();
        } catch (org.konsil.fax.FaxNumber.InvalidFaxNumberException e) {
          throw new ApiException(422, e.code(), e.getMessage());
        }
      }
      return organisations
          .byContact(email == null ? null : email.trim(), e164)
          .map(
              known ->
                  new JsonArray(
                      known.stream()
                          .map(o -> o.toDirectoryJson().put("status", o.status()))
                          .toList()));
    }
    return organisations
        .directory(query, ctx.queryParams().get("kind"), 50)
        .map(found -> new JsonArray(found.stream().map(Organisation::toDirectoryJson).toList()));
  }

  private Future<?> updateSettings(RoutingContext ctx) {
    AuthenticatedUser admin = AuthenticatedUser.of(ctx).requireAdmin();
    Boolean required = Json.body(ctx).optionalBoolean("requireSecondFactor");
    return organisations.updateSettings(admin, required).map(Organisation::toJson);
  }

  private Future<?> addUser(RoutingContext ctx) {
    AuthenticatedUser admin = AuthenticatedUser.of(ctx).requireAdmin();
    Json body = Json.body(ctx);
    String email = body.requiredEmail("email");
    String displayName = body.requiredText("displayName", 200).trim();
    String role = body.optionalText("role", 20);
    if (role == null) {
      role = "member";
    }
    if (!role.equals("member") && !role.equals("admin")) {
      throw ApiException.validation("'role' must be member or admin.");
    }
    ctx.response().setStatusCode(201);
    return organisations.addUser(admin, email, displayName, role).map(Member::toJson);
  }

  static UUID pathId(RoutingContext ctx) {
    String raw = ctx.pathParam("userId");
    try {
      if (raw != null && raw.length() == 36) {
        return UUID.fromString(raw);
      }
    } catch (IllegalArgumentException e) {
      // refused below
    }
    throw ApiException.notFound("No such user in your organisation.");
  }
}
