package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.FileResponses;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;

/** REST routes for templates, campaigns and the public opt-out. */
public final class CampaignRoutes {

  private final Campaigns campaigns;
  private final OptOuts optOuts;

  public CampaignRoutes(Campaigns campaigns, OptOuts optOuts) {
    this.campaigns = campaigns;
    this.optOuts = optOuts;
  }

  public void mount(Router router) {
    router.get("/outreach-settings").respond(ctx -> campaigns.settings(AuthenticatedUser.of(ctx)));
    router
        .put("/outreach-settings")
        .respond(
            ctx -> {
              String phone = Json.body(ctx).optionalText("practicePhone", 40);
              if (phone != null && !phone.isBlank() && !phone.trim().matches("[0-9+()/ -]{3,40}")) {
                throw ApiException.validation(
                    "'practicePhone' may hold digits, spaces and + ( ) / - only.");
              }
              return campaigns.setPhone(
                  AuthenticatedUser.of(ctx),
                  phone == null || phone.isBlank() ? null : phone.trim());
            });
    router.post("/message-templates").respond(this::createTemplate);
    router
        .get("/message-templates")
        .respond(
            ctx ->
                campaigns
                    .templates(AuthenticatedUser.of(ctx))
                    .map(
                        list ->
                            new JsonArray(list.stream().map(MessageTemplate::toJson).toList())));
    router.post("/campaigns").respond(this::create);
    router
        .get("/campaigns")
        .respond(
            ctx ->
                campaigns
                    .list(AuthenticatedUser.of(ctx))
                    .map(list -> new JsonArray(list.stream().map(Campaign::toJson).toList())));
    router
        .get("/campaigns/:campaignId")
        .respond(ctx -> campaigns.view(AuthenticatedUser.of(ctx), id(ctx)).map(Campaign::toJson));
    router.post("/campaigns/:campaignId/recipients").respond(this::addRecipients);
    router
        .get("/campaigns/:campaignId/recipients")
        .respond(
            ctx ->
                campaigns
                    .recipients(AuthenticatedUser.of(ctx), id(ctx))
                    .map(list -> new JsonArray(list.stream().map(Recipient::toJson).toList())));
    router
        .get("/campaigns/:campaignId/review")
        .respond(
            ctx ->
                campaigns
                    .review(AuthenticatedUser.of(ctx), id(ctx))
                    .map(
                        rows ->
                            new JsonArray(
                                rows.stream().map(Campaigns.ReviewRow::toJson).toList())));
    RouteTable.query(router.get("/campaigns/:campaignId/preview"), "patientId")
        .respond(
            ctx -> {
              UUID campaign = id(ctx);
              String patient = ctx.queryParams().get("patientId");
              if (patient == null) {
                throw ApiException.validation("'patientId' is required.");
              }
              return campaigns.preview(
                  AuthenticatedUser.of(ctx), campaign, Json.uuid("patientId", patient));
            });
    router.post("/campaigns/:campaignId/send").respond(this::send);
    router.get("/campaigns/:campaignId/recipient-export").handler(this::export);
    router.get("/campaigns/:campaignId/letters").handler(this::letters);
    router.post("/opt-outs").respond(ctx -> optOuts.use(Json.body(ctx).requiredText("token", 100)));
  }

  private Future<?> createTemplate(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String name = body.requiredText("name", 100).trim();
    String channel = Channels.require("channel", body.optionalText("channel", 10));
    String language = body.optionalText("language", 2);
    if (!"de".equals(language) && !"en".equals(language)) {
      throw ApiException.validation("'language' must be de or en.");
    }
    String subject = body.optionalText("subject", 200);
    String text = body.requiredText("body", 5000);
    ctx.response().setStatusCode(201);
    return campaigns
        .createTemplate(
            AuthenticatedUser.of(ctx),
            name,
            channel,
            language,
            subject == null || subject.isBlank() ? null : subject.trim(),
            text)
        .map(MessageTemplate::toJson);
  }

  private Future<?> create(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String name = body.requiredText("name", 100).trim();
    String channel = Channels.require("channel", body.optionalText("channel", 10));
    String purpose = body.requiredText("purpose", 40);
    UUID template = body.requiredUuid("templateId");
    ctx.response().setStatusCode(201);
    return campaigns
        .create(AuthenticatedUser.of(ctx), name, channel, purpose, template)
        .map(Campaign::toJson);
  }

  private Future<?> addRecipients(RoutingContext ctx) {
    UUID campaign = id(ctx);
    JsonObject raw = Json.body(ctx).raw();
    Json body = Json.of(raw);
    int given = 0;
    Campaigns.Selection selection = null;
    if (raw.containsKey("patientIds")) {
      given++;
      selection = new Campaigns.Selection.Ids(ids(raw.getValue("patientIds")));
    }
    if (raw.containsKey("csv")) {
      given++;
      selection = new Campaigns.Selection.Csv(body.requiredText("csv", 1_000_000));
    }
    if (raw.containsKey("birthdayFrom") || raw.containsKey("birthdayTo")) {
      given++;
      String from = body.requiredText("birthdayFrom", 5);
      String to = body.requiredText("birthdayTo", 5);
      if (!from.matches("(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
          || !to.matches("(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")) {
        throw ApiException.validation("'birthdayFrom' and 'birthdayTo' must be like 04-23.");
      }
      selection = new Campaigns.Selection.Birthdays(from, to);
    }
    if (raw.containsKey("allPatients")) {
      given++;
      if (!Boolean.TRUE.equals(body.optionalBoolean("allPatients"))) {
        throw ApiException.validation("'allPatients' can only be true.");
      }
      selection = new Campaigns.Selection.AllPatients();
    }
    if (raw.containsKey("tag")) {
      given++;
      if (!(raw.getValue("tag") instanceof String tag)) {
        throw ApiException.validation("'tag' must be a text.");
      }
      selection = new Campaigns.Selection.Tag(OutreachProfile.checkTag("tag", tag));
    }
    if (raw.containsKey("recallDueBy")) {
      given++;
      selection =
          new Campaigns.Selection.RecallDueBy(
              OutreachProfile.date("recallDueBy", raw.getValue("recallDueBy")));
    }
    if (given != 1) {
      throw ApiException.validation(
          "Give exactly one of 'patientIds', 'csv', 'birthdayFrom'/'birthdayTo', 'allPatients',"
              + " 'tag', 'recallDueBy'.");
    }
    return campaigns
        .addRecipients(AuthenticatedUser.of(ctx), campaign, selection)
        .map(Campaign::toJson);
  }

  private Future<?> send(RoutingContext ctx) {
    UUID campaign = id(ctx);
    List<UUID> selected = ids(Json.body(ctx).raw().getValue("patientIds"));
    ctx.response().setStatusCode(202);
    return campaigns.send(AuthenticatedUser.of(ctx), campaign, selected).map(Campaign::toJson);
  }

  private void export(RoutingContext ctx) {
    UUID campaign;
    try {
      campaign = id(ctx);
    } catch (ApiException e) {
      ctx.fail(e);
      return;
    }
    campaigns
        .export(AuthenticatedUser.of(ctx), campaign)
        .onSuccess(
            csv ->
                ctx.response()
                    .putHeader("Content-Type", "text/csv; charset=utf-8")
                    .putHeader(
                        "Content-Disposition",
                        FileResponses.contentDisposition("attachment", "recipients.csv"))
                    .end(csv))
        .onFailure(ctx::fail);
  }

  private void letters(RoutingContext ctx) {
    UUID campaign;
    try {
      campaign = id(ctx);
    } catch (ApiException e) {
      ctx.fail(e);
      return;
    }
    campaigns
        .letters(AuthenticatedUser.of(ctx), campaign)
        .onSuccess(
            pdf ->
                ctx.response()
                    .putHeader("Content-Type", "application/pdf")
                    .putHeader(
                        "Content-Disposition",
                        FileResponses.contentDisposition("attachment", "letters.pdf"))
                    .end(Buffer.buffer(pdf)))
        .onFailure(ctx::fail);
  }

  private static List<UUID> ids(Object value) {
    if (!(value instanceof JsonArray array)) {
      throw ApiException.validation("'patientIds' must be a list of patient ids.");
    }
    if (array.size() > Campaigns.MAX_RECIPIENTS) {
      throw ApiException.validation(
          "'patientIds' may hold at most " + Campaigns.MAX_RECIPIENTS + " ids.");
    }
    Set<UUID> ids = new LinkedHashSet<>();
    for (Object item : array) {
      ids.add(Json.uuid("patientIds", item));
    }
    return new ArrayList<>(ids);
  }

  private static UUID id(RoutingContext ctx) {
    try {
      return Json.uuid("campaignId", ctx.pathParam("campaignId"));
    } catch (ApiException e) {
      throw ApiException.notFound("No such campaign.");
    }
  }
}
