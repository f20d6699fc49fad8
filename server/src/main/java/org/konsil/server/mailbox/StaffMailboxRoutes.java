package org.konsil.server.mailbox;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientRoutes;

/**
 * The practice's side of the mailbox, for logged-in staff: their own mailbox key, the practice key
 * and who may read the mailbox (admins), inviting a patient, and the messages with a patient.
 */
public final class StaffMailboxRoutes {

  private final PatientAccounts accounts;
  private final MailboxMessages messages;
  private final MailboxKeys keys;
  private final int attachmentMaxBytes;

  public StaffMailboxRoutes(
      PatientAccounts accounts,
      MailboxMessages messages,
      MailboxKeys keys,
      int attachmentMaxBytes) {
    this.accounts = accounts;
    this.messages = messages;
    this.keys = keys;
    this.attachmentMaxBytes = attachmentMaxBytes;
  }

  public void mount(Router router) {
    router.get("/me/mailbox-key").respond(ctx -> keys.staffKey(user(ctx)));
    router.put("/me/mailbox-key").respond(this::putStaffKey);
    router.get("/organisation/mailbox").respond(ctx -> keys.practiceView(user(ctx)));
    router.post("/organisation/mailbox").respond(this::createPracticeKey);
    router.get("/organisation/mailbox/staff").respond(ctx -> keys.staff(user(ctx)));
    router.put("/organisation/mailbox/staff/:userId/access").handler(this::grant);
    router.delete("/organisation/mailbox/staff/:userId/access").handler(this::withdraw);
    router
        .get("/organisation/mailbox/inbox")
        .respond(ctx -> messages.practiceInbox(user(ctx)).map(StaffMailboxRoutes::list));
    router.get("/patients/:patientId/mailbox").respond(this::view);
    router.post("/patients/:patientId/mailbox").respond(this::invite);
    router
        .get("/patients/:patientId/mailbox/messages")
        .respond(
            ctx ->
                messages
                    .practiceMessages(user(ctx), PatientRoutes.patientId(ctx))
                    .map(StaffMailboxRoutes::list));
    router.post("/patients/:patientId/mailbox/messages").respond(this::send);
    router
        .get("/patients/:patientId/mailbox/messages/:messageId/attachments/:position")
        .respond(
            ctx ->
                messages
                    .practiceAttachment(
                        user(ctx),
                        PatientRoutes.patientId(ctx),
                        PatientMailboxRoutes.messageId(ctx),
                        PatientMailboxRoutes.position(ctx))
                    .map(content -> new JsonObject().put("content", MailboxJson.b64(content))));
    router
        .post("/patients/:patientId/mailbox/messages/:messageId/read")
        .respond(
            ctx ->
                messages
                    .practiceRead(
                        user(ctx),
                        PatientRoutes.patientId(ctx),
                        PatientMailboxRoutes.messageId(ctx))
                    .map(m -> m.toJson(true)));
    router.post("/patients/:patientId/mailbox/messages/:messageId/exports").handler(this::export);
  }

  private static AuthenticatedUser user(RoutingContext ctx) {
    return AuthenticatedUser.of(ctx);
  }

  private static JsonArray list(List<MailboxMessage> messages) {
    return new JsonArray(messages.stream().map(m -> m.toJson(true)).toList());
  }

  private Future<?> putStaffKey(RoutingContext ctx) {
    Json body = Json.body(ctx);
    return keys.putStaffKey(
        user(ctx),
        MailboxJson.bytes(body, "x25519Public", 32, 32),
        MailboxJson.bytes(body, "wrappedPrivate", 60, 60),
        MailboxJson.bytes(body, "salt", 16, 16),
        (int) body.requiredLong("iterations", 1, 100_000_000));
  }

  private Future<?> createPracticeKey(RoutingContext ctx) {
    Json body = Json.body(ctx);
    byte[] x = MailboxJson.bytes(body, "x25519Public", 32, 32);
    byte[] ed = MailboxJson.bytes(body, "ed25519Public", 32, 32);
    byte[] sealed = MailboxJson.bytes(body, "sealedPracticeKey", 124, 124);
    ctx.response().setStatusCode(201);
    return keys.createPracticeKey(user(ctx), x, ed, sealed);
  }

  private void grant(RoutingContext ctx) {
    Json body = Json.body(ctx);
    UUID userId = userId(ctx);
    keys.grant(
            user(ctx),
            userId,
            MailboxJson.bytes(body, "x25519Public", 32, 32),
            MailboxJson.bytes(body, "sealedPracticeKey", 124, 124))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void withdraw(RoutingContext ctx) {
    keys.withdraw(user(ctx), userId(ctx))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private Future<?> view(RoutingContext ctx) {
    return accounts
        .view(user(ctx), PatientRoutes.patientId(ctx))
        .map(
            account -> {
              if (account == null) {
                throw new ApiException(
                    404, "mailbox_not_found", "This patient has no mailbox yet; invite them.");
              }
              return account.toPracticeJson();
            });
  }

  private Future<?> invite(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String email = body.raw().getValue("email") == null ? null : body.requiredEmail("email");
    ctx.response().setStatusCode(201);
    return accounts
        .invite(user(ctx), PatientRoutes.patientId(ctx), email)
        .map(MailboxAccount::toPracticeJson);
  }

  private Future<?> send(RoutingContext ctx) {
    SendRequest request = SendRequest.from(Json.body(ctx), attachmentMaxBytes);
    ctx.response().setStatusCode(201);
    return messages
        .practiceSend(user(ctx), PatientRoutes.patientId(ctx), request)
        .map(m -> m.toJson(true));
  }

  private void export(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String kind = body.requiredText("kind", 10);
    if (!kind.equals("pdf") && !kind.equals("room")) {
      throw ApiException.validation("'kind' must be 'pdf' or 'room'.");
    }
    UUID room = body.optionalUuid("roomId");
    if (kind.equals("room") != (room != null)) {
      throw ApiException.validation("'roomId' is required for 'room' and only for it.");
    }
    messages
        .practiceExport(
            user(ctx),
            PatientRoutes.patientId(ctx),
            PatientMailboxRoutes.messageId(ctx),
            kind,
            room)
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private static UUID userId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("userId"));
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound("No such user.");
    }
  }
}
