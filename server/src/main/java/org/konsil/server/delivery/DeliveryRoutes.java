package org.konsil.server.delivery;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.FileResponses;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.ContactDetails;
import org.konsil.server.patients.PatientRoutes;

/**
 * REST routes of secure file delivery: sending and re-issuing (the document is the request body,
 * the choices are query parameters), the sender's view, the organisation's settings, and the two
 * public routes of the download page (no login: the link's secret is the credential).
 */
public final class DeliveryRoutes {

  private static final Set<String> RECIPIENTS = Set.of("patient", "third_party");
  private static final Set<String> KINDS = Set.of("findings", "invoice", "consent_copy", "other");
  private static final Set<String> VERIFICATIONS =
      Set.of("birth_date", "insurance_number", "sms_code", "none");

  private final DeliveryService deliveries;

  public DeliveryRoutes(DeliveryService deliveries) {
    this.deliveries = deliveries;
  }

  /** Routes whose body is the document, read by the route after authentication. */
  public static boolean streamsBody(String method, String rawPath) {
    String path =
        rawPath.length() > 1 && rawPath.endsWith("/")
            ? rawPath.substring(0, rawPath.length() - 1)
            : rawPath;
    return "POST".equals(method)
        && ((path.startsWith("/api/v1/patients/") && path.endsWith("/deliveries"))
            || (path.startsWith("/api/v1/deliveries/") && path.endsWith("/reissue")));
  }

  public void mount(Router router) {
    RouteTable.query(
            router.post("/patients/:patientId/deliveries"),
            "recipient",
            "email",
            "documentKind",
            "verification",
            "value",
            "mobile",
            "fileName",
            "confirmUnverified")
        .respond(this::send);
    router
        .get("/patients/:patientId/deliveries")
        .respond(
            ctx ->
                deliveries
                    .list(AuthenticatedUser.of(ctx), PatientRoutes.patientId(ctx))
                    .map(
                        list ->
                            new JsonArray(
                                list.stream().map(d -> d.toJson(deliveries.clockNow())).toList())));
    RouteTable.query(router.post("/deliveries/:deliveryId/reissue"), "value")
        .respond(this::reissue);
    router
        .get("/organisation/delivery-settings")
        .respond(
            ctx -> deliveries.settings(AuthenticatedUser.of(ctx)).map(DeliverySettings::toJson));
    router.put("/organisation/delivery-settings").respond(this::changeSettings);
    router.post("/delivery-links/open").respond(this::open);
    router.post("/delivery-links/download").handler(this::download);
  }

  private Future<?> send(RoutingContext ctx) {
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    UUID patient = PatientRoutes.patientId(ctx);
    var q = ctx.queryParams();
    String recipient = oneOf("recipient", q.get("recipient"), RECIPIENTS);
    String kind = oneOf("documentKind", q.get("documentKind"), KINDS);
    String verification = oneOf("verification", q.get("verification"), VERIFICATIONS);
    String email = ContactDetails.email("email", q.get("email"));
    if (recipient.equals("third_party") && email == null) {
      throw ApiException.validation("'email' is required for a third party.");
    }
    if (recipient.equals("patient") && q.get("email") != null) {
      throw ApiException.validation(
          "'email' is only for a third party; the patient's address is on the record.");
    }
    String value = blankToNull(q.get("value"));
    if (value != null && !Set.of("birth_date", "insurance_number").contains(verification)) {
      throw ApiException.validation("'value' is only for birth_date or insurance_number.");
    }
    if (value != null && value.length() > 40) {
      throw ApiException.validation("'value' must be at most 40 characters long.");
    }
    String mobile = ContactDetails.mobile("mobile", q.get("mobile"));
    if (mobile != null && !verification.equals("sms_code")) {
      throw ApiException.validation("'mobile' is only for sms_code.");
    }
    String confirm = q.get("confirmUnverified");
    if (confirm != null && !confirm.equals("true") && !confirm.equals("false")) {
      throw ApiException.validation("'confirmUnverified' must be true or false.");
    }
    String fileName = blankToNull(q.get("fileName"));
    if (fileName != null && fileName.length() > 200) {
      throw ApiException.validation("'fileName' must be at most 200 characters long.");
    }
    SendRequest request =
        new SendRequest(
            recipient, email, kind, verification, value, mobile, fileName, "true".equals(confirm));
    return body(ctx.request(), deliveries.maxBytes())
        .compose(document -> deliveries.send(user, patient, request, document))
        .map(
            delivery -> {
              ctx.response().setStatusCode(201);
              return delivery.toJson(deliveries.clockNow());
            });
  }

  private Future<?> reissue(RoutingContext ctx) {
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    UUID delivery = deliveryId(ctx);
    String value = blankToNull(ctx.queryParams().get("value"));
    if (value != null && value.length() > 40) {
      throw ApiException.validation("'value' must be at most 40 characters long.");
    }
    return body(ctx.request(), deliveries.maxBytes())
        .compose(document -> deliveries.reissue(user, delivery, value, document))
        .map(
            created -> {
              ctx.response().setStatusCode(201);
              return created.toJson(deliveries.clockNow());
            });
  }

  private Future<?> changeSettings(RoutingContext ctx) {
    Json body = Json.body(ctx);
    DeliverySettings settings =
        new DeliverySettings(
            (int) body.requiredLong("verifiedLinkDays", 1, 90),
            (int) body.requiredLong("smsLinkDays", 1, 365),
            required(body.optionalBoolean("allowUnverifiedInvoices")));
    return deliveries
        .changeSettings(AuthenticatedUser.of(ctx), settings)
        .map(DeliverySettings::toJson);
  }

  private Future<?> open(RoutingContext ctx) {
    return deliveries.open(Json.body(ctx).requiredText("token", 100));
  }

  private void download(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String token = body.requiredText("token", 100);
    // a delivery without verification is opened without a value
    String value = body.optionalText("value", 40);
    deliveries
        .download(token, value)
        .onSuccess(
            opened ->
                ctx.response()
                    .putHeader("Content-Type", opened.mediaType())
                    .putHeader(
                        "Content-Disposition",
                        FileResponses.contentDisposition("attachment", opened.fileName()))
                    .putHeader("Cache-Control", "no-store")
                    .end(Buffer.buffer(opened.bytes())))
        .onFailure(ctx::fail);
  }

  private static boolean required(Boolean value) {
    if (value == null) {
      throw ApiException.validation("'allowUnverifiedInvoices' is required.");
    }
    return value;
  }

  private static String oneOf(String field, String value, Set<String> allowed) {
    if (value == null || !allowed.contains(value)) {
      throw ApiException.validation(
          "'" + field + "' must be one of " + allowed.stream().sorted().toList() + ".");
    }
    return value;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static UUID deliveryId(RoutingContext ctx) {
    String raw = ctx.pathParam("deliveryId");
    try {
      if (raw != null && raw.length() == 36) {
        return UUID.fromString(raw);
      }
    } catch (IllegalArgumentException e) {
      // refused below
    }
    throw ApiException.notFound("No such delivery.");
  }

  /**
   * The document, read into memory up to the limit: it must reach the disk only encrypted, so it is
   * not streamed to a file first. Refuses as the file store does: {@code payload_too_large}, {@code
   * upload_incomplete}.
   */
  private static Future<byte[]> body(HttpServerRequest request, long maxBytes) {
    String declared = request.getHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared) > maxBytes) {
          request.response().putHeader("Connection", "close");
          return Future.failedFuture(tooLarge(maxBytes));
        }
      } catch (NumberFormatException e) {
        return Future.failedFuture(ApiException.validation("Content-Length is not a number."));
      }
    }
    if (request.isEnded()) {
      return Future.failedFuture(
          new ApiException(400, "upload_incomplete", "Send the file itself as the request body."));
    }
    Promise<byte[]> result = Promise.promise();
    Buffer collected = Buffer.buffer();
    request.handler(
        chunk -> {
          if (result.future().isComplete()) {
            return;
          }
          if (collected.length() + chunk.length() > maxBytes) {
            request.response().putHeader("Connection", "close");
            result.tryFail(tooLarge(maxBytes));
            return;
          }
          collected.appendBuffer(chunk);
        });
    request.exceptionHandler(
        failure ->
            result.tryFail(new ApiException(400, "upload_incomplete", "The upload was cut off.")));
    request.endHandler(done -> result.tryComplete(collected.getBytes()));
    request.resume();
    return result.future();
  }

  private static ApiException tooLarge(long maxBytes) {
    return new ApiException(
        413, "payload_too_large", "A file may have at most " + maxBytes + " bytes.");
  }
}
