package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.FileResponses;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientRoutes;

/**
 * REST routes for contact permissions and purposes. A grant sends the signed form itself as the
 * request body (application/pdf, image/jpeg or image/png), checked like a consent document.
 */
public final class ContactPermissionRoutes {

  private final ContactPermissions permissions;

  public ContactPermissionRoutes(ContactPermissions permissions) {
    this.permissions = permissions;
  }

  /** Whether the request's body is a signed form to stream to the file store. */
  public static boolean streamsBody(String method, String rawPath) {
    String path =
        rawPath.length() > 1 && rawPath.endsWith("/")
            ? rawPath.substring(0, rawPath.length() - 1)
            : rawPath;
    return "POST".equals(method)
        && path.startsWith("/api/v1/patients/")
        && path.endsWith("/contact-permissions");
  }

  public void mount(Router router) {
    router
        .get("/contact-purposes")
        .respond(
            ctx ->
                permissions
                    .purposes(AuthenticatedUser.of(ctx))
                    .map(
                        list -> new JsonArray(list.stream().map(ContactPurpose::toJson).toList())));
    router.post("/contact-purposes").respond(this::addPurpose);
    RouteTable.query(
            router.post("/patients/:patientId/contact-permissions"), "channels", "purposes", "date")
        .respond(this::grant);
    router.post("/patients/:patientId/contact-permissions/withdrawal").respond(this::withdraw);
    router
        .get("/patients/:patientId/contact-permissions")
        .respond(ctx -> permissions.view(AuthenticatedUser.of(ctx), PatientRoutes.patientId(ctx)));
    router.get("/contact-permissions/:permissionId/document").handler(this::document);
  }

  private Future<?> addPurpose(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String code = body.requiredText("code", 40).trim();
    String label = body.requiredText("label", 100).trim();
    ctx.response().setStatusCode(201);
    return permissions
        .addPurpose(AuthenticatedUser.of(ctx), code, label)
        .map(list -> new JsonArray(list.stream().map(ContactPurpose::toJson).toList()));
  }

  private Future<?> grant(RoutingContext ctx) {
    UUID patient = PatientRoutes.patientId(ctx);
    List<String> channels = list(ctx, "channels");
    for (String channel : channels) {
      Channels.require("channels", channel);
    }
    List<String> purposes = list(ctx, "purposes");
    String date = ctx.queryParams().get("date");
    if (date == null) {
      throw ApiException.validation("'date' (the day the patient signed) is required.");
    }
    LocalDate signed = PatientRoutes.date("date", date);
    ctx.response().setStatusCode(201);
    return permissions
        .grant(AuthenticatedUser.of(ctx), patient, channels, purposes, signed, ctx.request())
        .map(rows -> new JsonArray(rows.stream().map(ContactPermission::toJson).toList()));
  }

  private Future<?> withdraw(RoutingContext ctx) {
    UUID patient = PatientRoutes.patientId(ctx);
    Json body = Json.body(ctx);
    String channel = Channels.require("channel", body.optionalText("channel", 10));
    String purpose = body.requiredText("purpose", 40);
    LocalDate date = PatientRoutes.date("date", body.requiredText("date", 10));
    ctx.response().setStatusCode(201);
    return permissions
        .withdraw(AuthenticatedUser.of(ctx), patient, channel, purpose, date)
        .map(ContactPermission::toJson);
  }

  private void document(RoutingContext ctx) {
    UUID id;
    try {
      id = Json.uuid("permissionId", ctx.pathParam("permissionId"));
    } catch (ApiException e) {
      ctx.fail(ApiException.notFound("No such document."));
      return;
    }
    permissions
        .document(AuthenticatedUser.of(ctx), id)
        .onSuccess(
            doc ->
                FileResponses.send(
                    ctx,
                    doc.path(),
                    doc.mediaType(),
                    "inline",
                    "contact-permission." + extension(doc.mediaType())))
        .onFailure(ctx::fail);
  }

  private static String extension(String mediaType) {
    return switch (mediaType) {
      case "application/pdf" -> "pdf";
      case "image/png" -> "png";
      default -> "jpg";
    };
  }

  private static List<String> list(RoutingContext ctx, String name) {
    String raw = ctx.queryParams().get(name);
    if (raw == null || raw.isBlank()) {
      throw ApiException.validation("'" + name + "' is required (comma-separated).");
    }
    List<String> items = new ArrayList<>();
    for (String part : raw.split(",")) {
      String item = part.trim();
      if (!item.matches("[a-z][a-z0-9_]{1,39}")) {
        throw ApiException.validation("'" + name + "' holds a malformed entry.");
      }
      if (!items.contains(item)) {
        items.add(item);
      }
    }
    if (items.size() > 20) {
      throw ApiException.validation("'" + name + "' may hold at most 20 entries.");
    }
    return items;
  }
}
