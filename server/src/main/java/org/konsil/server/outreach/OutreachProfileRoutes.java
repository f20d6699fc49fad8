package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientRoutes;

/** REST routes for a patient's outreach profile: tags and recall date. */
public final class OutreachProfileRoutes {

  private final OutreachProfiles profiles;

  public OutreachProfileRoutes(OutreachProfiles profiles) {
    this.profiles = profiles;
  }

  public void mount(Router router) {
    router
        .get("/patients/:patientId/outreach-profile")
        .respond(
            ctx ->
                profiles
                    .view(AuthenticatedUser.of(ctx), PatientRoutes.patientId(ctx))
                    .map(OutreachProfile::toJson));
    router.put("/patients/:patientId/outreach-profile").respond(this::replace);
  }

  /**
   * Both fields are required: {@code tags} a list (maybe empty), {@code recallDue} a day or null.
   */
  private Future<?> replace(RoutingContext ctx) {
    UUID patient = PatientRoutes.patientId(ctx);
    JsonObject body = Json.body(ctx).raw();
    for (String field : body.fieldNames()) {
      if (!field.equals("tags") && !field.equals("recallDue")) {
        throw ApiException.validation(
            "Only 'tags' and 'recallDue' can be given; not '" + field + "'.");
      }
    }
    if (!body.containsKey("tags") || !body.containsKey("recallDue")) {
      throw ApiException.validation(
          "Give both 'tags' (a list, maybe empty) and 'recallDue' (a day like 2027-03-31, or null).");
    }
    if (!(body.getValue("tags") instanceof JsonArray array)) {
      throw ApiException.validation("'tags' must be a list of texts.");
    }
    List<String> tags = new ArrayList<>();
    for (Object item : array) {
      if (!(item instanceof String text)) {
        throw ApiException.validation("'tags' must be a list of texts.");
      }
      tags.add(text);
    }
    Object due = body.getValue("recallDue");
    LocalDate recallDue = due == null ? null : OutreachProfile.date("recallDue", due);
    return profiles
        .replace(AuthenticatedUser.of(ctx), patient, tags, recallDue)
        .map(OutreachProfile::toJson);
  }
}
