package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.identity.AuthenticatedUser;

/** REST routes for appointments, their import and the organisation's reminder setting. */
public final class AppointmentRoutes {

  private final Appointments appointments;

  public AppointmentRoutes(Appointments appointments) {
    this.appointments = appointments;
  }

  public void mount(Router router) {
    router.post("/appointments/import").respond(this::importCsv);
    router.post("/appointments").respond(this::create);
    router
        .delete("/appointments/:appointmentId")
        .respond(
            ctx ->
                appointments
                    .cancel(AuthenticatedUser.of(ctx), appointmentId(ctx))
                    .map(Appointment::toJson));
    router
        .get("/patients/:patientId/appointments")
        .respond(
            ctx ->
                appointments
                    .list(AuthenticatedUser.of(ctx), patientId(ctx))
                    .map(list -> new JsonArray(list.stream().map(Appointment::toJson).toList())));
    router
        .get("/organisation/appointment-reminders")
        .respond(ctx -> appointments.reminderSetting(AuthenticatedUser.of(ctx)));
    router.put("/organisation/appointment-reminders").respond(this::setReminders);
    router
        .delete("/organisation/appointment-reminders")
        .respond(ctx -> appointments.stopReminders(AuthenticatedUser.of(ctx)));
  }

  private Future<?> create(RoutingContext ctx) {
    Json body = Json.body(ctx);
    UUID patient = body.requiredUuid("patientId");
    String text = body.requiredText("startsAt", 40);
    OffsetDateTime starts;
    try {
      if (!text.matches(
          "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})")) {
        throw new DateTimeParseException("not RFC 3339", text, 0);
      }
      starts = OffsetDateTime.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiException.validation(
          "'startsAt' must be a date and time with its offset, like 2026-12-24T09:30:00+01:00.");
    }
    ctx.response().setStatusCode(201);
    return appointments.create(AuthenticatedUser.of(ctx), patient, starts).map(Appointment::toJson);
  }

  private Future<?> importCsv(RoutingContext ctx) {
    String csv = Json.body(ctx).requiredText("csv", 1_000_000);
    ctx.response().setStatusCode(201);
    return appointments
        .importCsv(AuthenticatedUser.of(ctx), csv)
        .map(
            list ->
                new JsonObject()
                    .put("imported", list.size())
                    .put(
                        "appointments",
                        new JsonArray(list.stream().map(Appointment::toJson).toList())));
  }

  private Future<?> setReminders(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String channel = body.requiredText("channel", 10);
    UUID template = body.requiredUuid("templateId");
    Object days = body.raw().getValue("daysBefore", 1);
    if (!(days instanceof Integer) && !(days instanceof Long)) {
      throw ApiException.validation("'daysBefore' must be a whole number from 1 to 7.");
    }
    return appointments.setReminders(
        AuthenticatedUser.of(ctx), channel, template, ((Number) days).intValue());
  }

  private static UUID appointmentId(RoutingContext ctx) {
    try {
      return Json.uuid("appointmentId", ctx.pathParam("appointmentId"));
    } catch (ApiException e) {
      throw ApiException.notFound("No such appointment.");
    }
  }

  private static UUID patientId(RoutingContext ctx) {
    try {
      return Json.uuid("patientId", ctx.pathParam("patientId"));
    } catch (ApiException e) {
      throw ApiException.notFound("No such patient.");
    }
  }
}
