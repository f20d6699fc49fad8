package org.konsil.server.patients;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;

/** REST routes for an organisation's patients. */
public final class PatientRoutes {

  private final PatientService patients;

  public PatientRoutes(PatientService patients) {
    this.patients = patients;
  }

  public void mount(Router router) {
    router.post("/patients").respond(this::create);
    RouteTable.query(router.get("/patients"), "query", "birthDate").respond(this::search);
    router.put("/patients/:patientId/postal-address").respond(this::setAddress);
    router
        .get("/patients/:patientId")
        .respond(
            ctx -> patients.read(AuthenticatedUser.of(ctx), patientId(ctx)).map(Patient::toJson));
    router.patch("/patients/:patientId").respond(this::changeContact);
  }

  /** Only the contact details change; a field left out keeps its value, null or "" clears it. */
  private Future<?> changeContact(RoutingContext ctx) {
    UUID patientId = patientId(ctx);
    Json body = Json.body(ctx);
    for (String field : body.raw().fieldNames()) {
      if (!field.equals("email") && !field.equals("mobile")) {
        throw ApiException.validation(
            "Only 'email' and 'mobile' can be changed; '" + field + "' cannot.");
      }
    }
    boolean setEmail = body.raw().containsKey("email");
    boolean setMobile = body.raw().containsKey("mobile");
    if (!setEmail && !setMobile) {
      throw ApiException.validation("Give 'email' and/or 'mobile'.");
    }
    String email = ContactDetails.email("email", body.optionalText("email", 254));
    String mobile = ContactDetails.mobile("mobile", body.optionalText("mobile", 40));
    return patients
        .changeContact(AuthenticatedUser.of(ctx), patientId, setEmail, email, setMobile, mobile)
        .map(Patient::toJson);
  }

  private Future<?> create(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String family = body.requiredText("familyName", 200).trim();
    String given = body.requiredText("givenName", 200).trim();
    LocalDate birthDate = date("birthDate", body.requiredText("birthDate", 10));
    String insurance = body.optionalText("insuranceNumber", 30);
    if (insurance != null
        && !insurance.isBlank()
        && !insurance.trim().matches("[A-Za-z0-9]{5,30}")) {
      throw ApiException.validation("'insuranceNumber' may hold only letters and digits.");
    }
    String email = ContactDetails.email("email", body.optionalText("email", 254));
    String mobile = ContactDetails.mobile("mobile", body.optionalText("mobile", 40));
    ctx.response().setStatusCode(201);
    return patients
        .create(
            AuthenticatedUser.of(ctx),
            family,
            given,
            birthDate,
            insurance == null || insurance.isBlank() ? null : insurance.trim(),
            email,
            mobile,
            address(body.raw().getValue("postalAddress")))
        .map(Patient::toJson);
  }

  private Future<?> setAddress(RoutingContext ctx) {
    UUID patient = patientId(ctx);
    PostalAddress address = address(Json.body(ctx).raw());
    return patients
        .setPostalAddress(AuthenticatedUser.of(ctx), patient, address)
        .map(Patient::toJson);
  }

  /** A postal address from JSON: each part optional, trimmed, blank as absent; null for none. */
  static PostalAddress address(Object value) {
    if (value == null) {
      return PostalAddress.NONE;
    }
    if (!(value instanceof io.vertx.core.json.JsonObject object)) {
      throw ApiException.validation("'postalAddress' must be an object.");
    }
    Json json = Json.of(object);
    return new PostalAddress(
        part(json, "salutation", 50),
        part(json, "street", 200),
        part(json, "postcode", 20),
        part(json, "city", 100));
  }

  private static String part(Json json, String field, int max) {
    String text = json.optionalText(field, max);
    return text == null || text.isBlank() ? null : text.trim();
  }

  private Future<?> search(RoutingContext ctx) {
    String query = ctx.queryParams().get("query");
    if (query != null && (query.isBlank() || query.length() > 200)) {
      throw ApiException.validation("'query' must have 1 to 200 characters.");
    }
    String birth = ctx.queryParams().get("birthDate");
    return patients
        .search(
            AuthenticatedUser.of(ctx),
            query == null ? null : query.trim(),
            birth == null ? null : date("birthDate", birth))
        .map(found -> new JsonArray(found.stream().map(FoundPatient::toJson).toList()));
  }

  public static LocalDate date(String field, String text) {
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiException.validation("'" + field + "' must be a date like 1950-04-23.");
    }
  }

  public static UUID patientId(RoutingContext ctx) {
    String raw = ctx.pathParam("patientId");
    try {
      if (raw != null && raw.length() == 36) {
        return UUID.fromString(raw);
      }
    } catch (IllegalArgumentException e) {
      // refused below
    }
    throw ApiException.notFound("No such patient.");
  }
}
