package org.konsil.server.consent;

import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.FileResponses;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientRoutes;

/**
 * REST routes for consent documents. Uploads send the document itself as the request body
 * (Content-Type application/pdf, image/jpeg or image/png); the server checks the bytes.
 */
public final class ConsentRoutes {

  private final ConsentVersions versions;
  private final ConsentDocuments documents;
  private final ConsentService consents;

  public ConsentRoutes(
      ConsentVersions versions, ConsentDocuments documents, ConsentService consents) {
    this.versions = versions;
    this.documents = documents;
    this.consents = consents;
  }

  /** Routes whose body is streamed to the file store rather than read as JSON. */
  public static boolean streamsBody(String method, String rawPath) {
    String path =
        rawPath.length() > 1 && rawPath.endsWith("/")
            ? rawPath.substring(0, rawPath.length() - 1)
            : rawPath;
    return "POST".equals(method)
        && ((path.startsWith("/api/v1/patients/")
                && (path.endsWith("/consents") || path.endsWith("/revocation")))
            || (path.startsWith("/api/v1/rooms/")
                && (path.endsWith("/attachments") || path.endsWith("/encrypted-attachments"))));
  }

  public void mount(Router router) {
    RouteTable.query(router.post("/patients/:patientId/consents"), "organisations")
        .respond(this::upload);
    router
        .get("/patients/:patientId/consent")
        .respond(
            ctx ->
                documents
                    .current(AuthenticatedUser.of(ctx), PatientRoutes.patientId(ctx))
                    .map(Consent::toJson));
    router.get("/consents/:consentId/document").handler(ctx -> document(ctx, documents::document));
    router
        .get("/consents/:consentId/revocation-document")
        .handler(ctx -> document(ctx, documents::revocationDocument));
    RouteTable.query(router.post("/patients/:patientId/revocation"), "date").respond(this::revoke);
    RouteTable.query(router.get("/patients/:patientId/consent-template"), "organisations", "lang")
        .handler(this::template);
  }

  private Future<?> upload(RoutingContext ctx) {
    UUID patient = PatientRoutes.patientId(ctx);
    List<UUID> organisations = organisations(ctx.queryParams().get("organisations"));
    ctx.response().setStatusCode(201);
    return versions
        .upload(AuthenticatedUser.of(ctx), patient, organisations, ctx.request())
        .map(Consent::toJson);
  }

  private Future<?> revoke(RoutingContext ctx) {
    UUID patient = PatientRoutes.patientId(ctx);
    String date = ctx.queryParams().get("date");
    if (date == null) {
      throw ApiException.validation("'date' (the day the patient revoked) is required.");
    }
    LocalDate revocationDate = PatientRoutes.date("date", date);
    String length = ctx.request().getHeader("Content-Length");
    boolean withDocument =
        (length != null && !"0".equals(length))
            || ctx.request().getHeader("Transfer-Encoding") != null;
    return consents
        .revoke(AuthenticatedUser.of(ctx), patient, revocationDate, ctx.request(), withDocument)
        .map(Consent::toJson);
  }

  private void template(RoutingContext ctx) {
    UUID patient = PatientRoutes.patientId(ctx);
    String lang = ctx.queryParams().get("lang");
    if (lang == null) {
      lang = "de";
    }
    if (!lang.equals("de") && !lang.equals("en")) {
      throw ApiException.validation("'lang' must be de or en.");
    }
    String raw = ctx.queryParams().get("organisations");
    List<UUID> partners = raw == null || raw.isBlank() ? List.of() : organisations(raw);
    String language = lang;
    documents
        .template(AuthenticatedUser.of(ctx), patient, partners, language)
        .onSuccess(
            pdf ->
                ctx.response()
                    .putHeader("Content-Type", "application/pdf")
                    .putHeader(
                        "Content-Disposition",
                        "attachment; filename=\""
                            + ("en".equals(language) ? "consent" : "einwilligung")
                            + ".pdf\"")
                    .end(io.vertx.core.buffer.Buffer.buffer(pdf)))
        .onFailure(ctx::fail);
  }

  private void document(
      RoutingContext ctx,
      BiFunction<AuthenticatedUser, UUID, Future<ConsentDocuments.DocumentAccess>> read) {
    UUID consentId;
    try {
      consentId = Json.uuid("consentId", ctx.pathParam("consentId"));
    } catch (ApiException e) {
      ctx.fail(ApiException.notFound("No such consent."));
      return;
    }
    read.apply(AuthenticatedUser.of(ctx), consentId)
        .onSuccess(
            access ->
                FileResponses.send(
                    ctx,
                    access.path(),
                    access.mediaType(),
                    "inline",
                    access.name() + "." + extension(access.mediaType())))
        .onFailure(ctx::fail);
  }

  private static String extension(String mediaType) {
    return switch (mediaType) {
      case "application/pdf" -> "pdf";
      case "image/png" -> "png";
      default -> "jpg";
    };
  }

  static List<UUID> organisations(String raw) {
    List<UUID> ids = new ArrayList<>();
    if (raw == null || raw.isBlank()) {
      throw ApiException.validation(
          "'organisations' must name the partner organisations the consent covers.");
    }
    for (String part : raw.split(",")) {
      UUID id = Json.uuid("organisations", part.trim());
      if (!ids.contains(id)) {
        ids.add(id);
      }
    }
    if (ids.size() > 50) {
      throw ApiException.validation("A consent may name at most 50 organisations.");
    }
    return ids;
  }
}
