package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/** REST routes for logging in and out, tokens, tickets, passwords and the second factor. */
public final class AccountRoutes {

  private final LoginService logins;
  private final SessionService sessions;
  private final PasswordService passwords;
  private final SecondFactorService secondFactors;
  private final ProfileService profiles;
  private final RefreshCookie cookie;

  public AccountRoutes(
      LoginService logins,
      SessionService sessions,
      PasswordService passwords,
      SecondFactorService secondFactors,
      ProfileService profiles,
      Duration sessionTtl,
      String publicUrl) {
    this.logins = logins;
    this.sessions = sessions;
    this.passwords = passwords;
    this.secondFactors = secondFactors;
    this.profiles = profiles;
    this.cookie = new RefreshCookie(sessionTtl, publicUrl);
  }

  /** Adds this feature's routes to the API router (below /api/v1). */
  public void mount(Router router) {
    router.post("/auth/login").respond(this::login);
    router.post("/auth/second-factor").respond(this::secondFactor);
    router.post("/auth/refresh").respond(this::refresh);
    router.post("/auth/set-password").handler(this::setPassword);
    router.post("/auth/logout").handler(this::logout);
    router.post("/ws-tickets").respond(this::wsTicket);
    router.patch("/me").respond(this::updateMe);
    router.get("/me").respond(ctx -> Future.succeededFuture(AuthenticatedUser.of(ctx).toJson()));
    router
        .post("/me/second-factor")
        .respond(
            ctx ->
                secondFactors
                    .startEnrolment(AuthenticatedUser.of(ctx))
                    .map(
                        enrolment ->
                            new JsonObject()
                                .put("secret", enrolment.secret())
                                .put("otpauthUri", enrolment.otpauthUri())
                                .put("qrCodeSvg", QrCodeSvg.of(enrolment.otpauthUri()))));
    router
        .post("/me/second-factor/confirm")
        .respond(
            ctx ->
                secondFactors
                    .confirmEnrolment(
                        AuthenticatedUser.of(ctx), Json.body(ctx).requiredText("code", 16))
                    .map(codes -> new JsonObject().put("recoveryCodes", new JsonArray(codes))));
  }

  private Future<?> login(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String email = body.requiredText("email", 254).trim();
    String password = body.requiredText("password", PasswordService.MAX_PASSWORD_LENGTH);
    return logins
        .login(email, password, address(ctx))
        .map(result -> cookie.hand(ctx, toJson(result)));
  }

  private Future<?> secondFactor(RoutingContext ctx) {
    Json body = Json.body(ctx);
    return logins
        .completeSecondFactor(
            body.requiredText("challenge", 4096),
            body.optionalText("code", 16),
            body.optionalText("recoveryCode", 64),
            address(ctx))
        .map(result -> cookie.hand(ctx, toJson(result)));
  }

  private Future<?> refresh(RoutingContext ctx) {
    String fromCookie = RefreshCookie.read(ctx);
    Json body = Json.body(ctx);
    String token = body.optionalText("refreshToken", 256);
    if (token == null && RefreshCookie.requested(ctx)) {
      if (fromCookie == null) {
        throw new ApiException(401, "invalid_refresh_token", "There is no session. Log in.");
      }
      token = fromCookie;
    } else if (token == null) {
      token = body.requiredText("refreshToken", 256);
    }
    boolean cookieUsed = token.equals(fromCookie);
    return sessions
        .refresh(token)
        .map(result -> cookie.hand(ctx, toJson(result)))
        .onFailure(
            failure -> {
              // only a session that is over loses its cookie, not one that met a passing error
              if (cookieUsed
                  && failure instanceof ApiException problem
                  && problem.status() == 401) {
                cookie.clear(ctx);
              }
            });
  }

  private void setPassword(RoutingContext ctx) {
    Json body = Json.body(ctx);
    passwords
        .setPassword(
            body.requiredText("token", 256),
            body.requiredText("password", PasswordService.MAX_PASSWORD_LENGTH + 1))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void logout(RoutingContext ctx) {
    sessions
        .logout(AuthenticatedUser.of(ctx))
        .onSuccess(
            done -> {
              cookie.clear(ctx);
              ctx.response().setStatusCode(204).end();
            })
        .onFailure(
            failure -> {
              // the browser forgets the session even when the server could not end it now
              cookie.clear(ctx);
              ctx.fail(failure);
            });
  }

  private Future<?> updateMe(RoutingContext ctx) {
    Boolean on = Json.body(ctx).optionalBoolean("notifyByEmail");
    if (on == null) {
      throw ApiException.validation("Send 'notifyByEmail'.");
    }
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    return profiles.setNotifyByEmail(user, on).map(done -> user.toJson().put("notifyByEmail", on));
  }

  private Future<?> wsTicket(RoutingContext ctx) {
    ctx.response().setStatusCode(201);
    return sessions
        .issueWsTicket(AuthenticatedUser.of(ctx))
        .map(
            ticket ->
                new JsonObject()
                    .put("ticket", ticket.ticket())
                    .put("expiresAt", Times.iso(ticket.expiresAt())));
  }

  /** A login step's answer as the API documents it. */
  private static JsonObject toJson(LoginResult result) {
    if (result instanceof LoginResult.SecondFactorRequired required) {
      return new JsonObject()
          .put("status", "second_factor_required")
          .put("challenge", required.challenge());
    }
    LoginResult.Authenticated session = (LoginResult.Authenticated) result;
    return new JsonObject()
        .put("accessToken", session.accessToken())
        .put("tokenType", "Bearer")
        .put("expiresIn", session.expiresInSeconds())
        .put("refreshToken", session.refreshToken())
        .put("status", "authenticated")
        .put("user", session.user().toJson());
  }

  static String address(RoutingContext ctx) {
    if (ctx.request().remoteAddress() == null) {
      throw ApiException.validation("No client address.");
    }
    return ctx.request().remoteAddress().hostAddress();
  }
}
