package org.konsil.server.mailbox;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.Times;

/**
 * The patient's side of the mailbox below {@code /api/v1/mailbox}: registration, login, and with a
 * patient session the messages. Patient sessions are checked here and nowhere else; a staff token
 * is not one, and the staff authenticator never accepts a patient's.
 */
public final class PatientMailboxRoutes {

  /** Everything below this is the patient's API, authenticated here. */
  public static final String PREFIX = "/api/v1/mailbox/";

  private static final String ACCOUNT = "konsil.mailbox.account";
  private static final Set<String> PUBLIC =
      Set.of(
          "/api/v1/mailbox/registration-link",
          "/api/v1/mailbox/registration",
          "/api/v1/mailbox/prelogin",
          "/api/v1/mailbox/login",
          "/api/v1/mailbox/recovery/open",
          "/api/v1/mailbox/password-reset",
          "/api/v1/mailbox/reset-link",
          "/api/v1/mailbox/password");

  private final PatientAccounts accounts;
  private final MailboxMessages messages;
  private final MailboxKeys keys;
  private final MailboxRecovery recovery;
  private final int attachmentMaxBytes;

  public PatientMailboxRoutes(
      PatientAccounts accounts,
      MailboxMessages messages,
      MailboxKeys keys,
      MailboxRecovery recovery,
      int attachmentMaxBytes) {
    this.recovery = recovery;
    this.accounts = accounts;
    this.messages = messages;
    this.keys = keys;
    this.attachmentMaxBytes = attachmentMaxBytes;
  }

  public void mount(Router router) {
    router.route("/mailbox/*").handler(this::authenticate);
    router.post("/mailbox/registration-link").respond(this::registrationLink);
    router.post("/mailbox/registration").respond(this::register);
    router.post("/mailbox/prelogin").respond(this::prelogin);
    router.post("/mailbox/login").respond(this::login);
    router.post("/mailbox/logout").handler(this::logout);
    router.get("/mailbox/me").respond(this::me);
    router.get("/mailbox/messages").respond(this::list);
    router.post("/mailbox/messages").respond(this::send);
    router
        .get("/mailbox/messages/:messageId/attachments/:position")
        .respond(
            ctx ->
                messages
                    .patientAttachment(account(ctx), messageId(ctx), position(ctx))
                    .map(content -> new JsonObject().put("content", MailboxJson.b64(content))));
    router
        .post("/mailbox/messages/:messageId/read")
        .respond(
            ctx -> messages.patientRead(account(ctx), messageId(ctx)).map(m -> m.toJson(false)));
    router.put("/mailbox/practice-blocked").respond(this::block);
    router.put("/mailbox/recovery").respond(this::createSheet);
    router.post("/mailbox/recovery/open").respond(this::openWithCode);
    router.post("/mailbox/password-reset").handler(this::mailResetLink);
    router.post("/mailbox/reset-link").respond(this::resetLink);
    router.post("/mailbox/password").respond(this::setPassword);
    router.post("/mailbox/close").handler(this::close);
  }

  private void authenticate(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (PUBLIC.contains(path)) {
      ctx.next();
      return;
    }
    String token = bearer(ctx);
    accounts
        .authenticate(token)
        .onSuccess(
            account -> {
              ctx.put(ACCOUNT, account);
              ctx.next();
            })
        .onFailure(ctx::fail);
  }

  private static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ApiException.unauthenticated("Log in to your mailbox first.");
    }
    return header.substring(7).trim();
  }

  private static MailboxAccount account(RoutingContext ctx) {
    MailboxAccount account = ctx.get(ACCOUNT);
    if (account == null) {
      throw ApiException.unauthenticated("Log in to your mailbox first.");
    }
    return account;
  }

  private Future<?> registrationLink(RoutingContext ctx) {
    return accounts
        .registrationLink(Json.body(ctx).requiredText("token", 100))
        .map(
            account ->
                new JsonObject()
                    .put("mailboxId", account.id().toString())
                    .put("organisationId", account.organisationId().toString())
                    .put("practiceName", account.organisationName())
                    .put("email", account.email())
                    .put("salt", MailboxJson.b64(account.salt()))
                    .put("minIterations", PatientAccounts.MIN_ITERATIONS));
  }

  private Future<?> register(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String token = body.requiredText("token", 100);
    byte[] secret = MailboxJson.bytes(body, "loginSecret", 32, 32);
    int iterations = (int) body.requiredLong("iterations", 1, 100_000_000);
    byte[] x = MailboxJson.bytes(body, "x25519Public", 32, 32);
    byte[] ed = MailboxJson.bytes(body, "ed25519Public", 32, 32);
    byte[] wrapped = MailboxJson.bytes(body, "wrappedPrivate", 92, 92);
    ctx.response().setStatusCode(201);
    return accounts
        .register(token, secret, iterations, x, ed, wrapped)
        .map(PatientMailboxRoutes::sessionJson);
  }

  private Future<?> prelogin(RoutingContext ctx) {
    Json body = Json.body(ctx);
    return accounts
        .prelogin(body.requiredUuid("organisationId"), body.requiredEmail("email"))
        .map(
            account ->
                new JsonObject()
                    .put("salt", MailboxJson.b64(account.salt()))
                    .put("iterations", account.iterations()));
  }

  private Future<?> login(RoutingContext ctx) {
    Json body = Json.body(ctx);
    UUID org = body.requiredUuid("organisationId");
    String email = body.requiredEmail("email");
    byte[] secret = MailboxJson.bytes(body, "loginSecret", 32, 32);
    return accounts.login(org, email, secret, address(ctx)).map(PatientMailboxRoutes::sessionJson);
  }

  private void logout(RoutingContext ctx) {
    account(ctx);
    accounts
        .logout(bearer(ctx))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** The patient's account, their wrapped keys, and the practice's public keys. */
  private Future<?> me(RoutingContext ctx) {
    MailboxAccount account = account(ctx);
    return keys.requirePracticeKey(account.organisationId())
        .map(
            key -> {
              JsonObject me = meJson(account);
              me.getJsonObject("practice").mergeIn(MailboxKeys.practiceKeyJson(key));
              return me;
            });
  }

  private Future<?> list(RoutingContext ctx) {
    return messages
        .patientMessages(account(ctx))
        .map(list -> new JsonArray(list.stream().map(m -> m.toJson(false)).toList()));
  }

  private Future<?> send(RoutingContext ctx) {
    SendRequest request = SendRequest.from(Json.body(ctx), attachmentMaxBytes);
    ctx.response().setStatusCode(201);
    return messages.patientSend(account(ctx), request).map(m -> m.toJson(false));
  }

  private Future<?> block(RoutingContext ctx) {
    Boolean blocked = Json.body(ctx).optionalBoolean("blocked");
    if (blocked == null) {
      throw ApiException.validation("'blocked' is required.");
    }
    return accounts.setBlocked(account(ctx), blocked).map(PatientMailboxRoutes::meJson);
  }

  private void close(RoutingContext ctx) {
    if (!Boolean.TRUE.equals(Json.body(ctx).optionalBoolean("confirm"))) {
      ctx.fail(
          ApiException.validation(
              "Send 'confirm': true; closing deletes your keys and cannot be undone."));
      return;
    }
    accounts
        .close(account(ctx))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private Future<?> createSheet(RoutingContext ctx) {
    Json body = Json.body(ctx);
    return recovery
        .createSheet(
            account(ctx),
            MailboxJson.bytes(body, "loginSecret", 32, 32),
            MailboxJson.bytes(body, "recoverySecret", 32, 32),
            MailboxJson.bytes(body, "wrappedPrivate", 92, 92))
        .map(PatientMailboxRoutes::meJson);
  }

  private Future<?> openWithCode(RoutingContext ctx) {
    Json body = Json.body(ctx);
    UUID org = body.requiredUuid("organisationId");
    String email = body.requiredEmail("email");
    byte[] secret = MailboxJson.bytes(body, "recoverySecret", 32, 32);
    return recovery
        .openWithCode(org, email, secret, address(ctx))
        .map(
            opened ->
                new JsonObject()
                    .put("resetToken", opened.resetToken())
                    .put("wrappedPrivate", MailboxJson.b64(opened.wrappedPrivate()))
                    .put("salt", MailboxJson.b64(opened.salt()))
                    .put("minIterations", PatientAccounts.MIN_ITERATIONS));
  }

  private void mailResetLink(RoutingContext ctx) {
    Json body = Json.body(ctx);
    UUID org = body.requiredUuid("organisationId");
    String email = body.requiredEmail("email");
    recovery
        .mailResetLink(org, email)
        .onSuccess(done -> ctx.response().setStatusCode(202).end())
        .onFailure(ctx::fail);
  }

  private Future<?> resetLink(RoutingContext ctx) {
    return recovery
        .resetLink(Json.body(ctx).requiredText("token", 100))
        .map(
            link ->
                new JsonObject()
                    .put("kind", link.kind())
                    .put("mailboxId", link.account().id().toString())
                    .put("organisationId", link.account().organisationId().toString())
                    .put("practiceName", link.account().organisationName())
                    .put("email", link.account().email())
                    .put("salt", MailboxJson.b64(link.salt()))
                    .put("minIterations", PatientAccounts.MIN_ITERATIONS));
  }

  private Future<?> setPassword(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String token = body.requiredText("token", 100);
    byte[] secret = MailboxJson.bytes(body, "loginSecret", 32, 32);
    int iterations = (int) body.requiredLong("iterations", 1, 100_000_000);
    byte[] wrapped = MailboxJson.bytes(body, "wrappedPrivate", 92, 92);
    byte[] x =
        body.raw().getValue("x25519Public") == null
            ? null
            : MailboxJson.bytes(body, "x25519Public", 32, 32);
    byte[] ed =
        body.raw().getValue("ed25519Public") == null
            ? null
            : MailboxJson.bytes(body, "ed25519Public", 32, 32);
    boolean confirmed = Boolean.TRUE.equals(body.optionalBoolean("confirmLoss"));
    return recovery
        .setPassword(token, secret, iterations, wrapped, x, ed, confirmed)
        .map(PatientMailboxRoutes::sessionJson);
  }

  static JsonObject sessionJson(PatientAccounts.Opened opened) {
    return new JsonObject()
        .put("token", opened.token())
        .put("tokenType", "Bearer")
        .put("expiresAt", Times.iso(opened.expiresAt()))
        .put("mailbox", meJson(opened.account()));
  }

  static JsonObject meJson(MailboxAccount account) {
    return new JsonObject()
        .put("id", account.id().toString())
        .put("email", account.email())
        .put("status", account.status())
        .put(
            "practice",
            new JsonObject()
                .put("id", account.organisationId().toString())
                .put("name", account.organisationName()))
        .put("x25519Public", MailboxJson.b64(account.x25519Public()))
        .put("ed25519Public", MailboxJson.b64(account.ed25519Public()))
        .put("wrappedPrivate", MailboxJson.b64(account.wrappedPrivate()))
        .put("salt", MailboxJson.b64(account.salt()))
        .put("iterations", account.iterations())
        .put("recoveryCreatedAt", Times.iso(account.recoveryCreatedAt()));
  }

  static UUID messageId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("messageId"));
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound("No such message.");
    }
  }

  static int position(RoutingContext ctx) {
    String raw = ctx.pathParam("position");
    if (raw == null || !raw.matches("[0-9]{1,2}")) {
      throw ApiException.notFound("No such attachment.");
    }
    return Integer.parseInt(raw);
  }

  static String address(RoutingContext ctx) {
    if (ctx.request().remoteAddress() == null) {
      throw ApiException.validation("No client address.");
    }
    return ctx.request().remoteAddress().hostAddress();
  }
}
