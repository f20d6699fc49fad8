package org.konsil.server.accounts;

import org.konsil.server.identity.AuthenticatedUser;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;

/** REST routes for logging in and out, tokens, tickets, passwords and the second factor. */
public final class AccountRoutes {

  private final AccountService accounts;
  private final RefreshCookie cookie;

  public AccountRoutes(AccountService accounts, java.time.Duration sessionTtl, String publicUrl) {
    this.accounts = accounts;
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
    router
        .patch("/me")
        .respond(
            ctx -> {
              Boolean on = Json.body(ctx).optionalBoolean("notifyByEmail");
              if (on == null) {
                throw org.konsil.server.http.ApiException.validation("Send 'notifyByEmail'.");
              }
              return accounts.setNotifyByEmail(AuthenticatedUser.of(ctx), on);
            });
    router.get("/me").respond(ctx -> Future.succeededFuture(AuthenticatedUser.of(ctx).toJson()));
    router
        .post("/me/second-factor")
        .respond(ctx -> accounts.startSecondFactor(AuthenticatedUser.of(ctx)));
    router
        .post("/me/second-factor/confirm")
        .respond(
            ctx ->
                accounts.confirmSecondFactor(
                    AuthenticatedUser.of(ctx), Json.body(ctx).requiredText("code", 16)));
  }

  private Future<?> login(RoutingContext ctx) {
    Json body = Json.body(ctx);
    String email = body.requiredText("email", 254).trim();
    String password = body.requiredText("password", AccountService.MAX_PASSWORD_LENGTH);
    return accounts.login(email, password, address(ctx)).map(tokens -> cookie.hand(ctx, tokens));
  }

  private Future<?> secondFactor(RoutingContext ctx) {
    Json body = Json.body(ctx);
    return accounts
        .completeSecondFactor(
            body.requiredText("challenge", 4096),
            body.optionalText("code", 16),
            body.optionalText("recoveryCode", 64),
            address(ctx))
        .map(tokens -> cookie.hand(ctx, tokens));
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
    return accounts
        .refresh(token)
        .map(tokens -> cookie.hand(ctx, tokens))
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
    accounts
        .setPassword(
            body.requiredText("token", 256),
            body.requiredText("password", AccountService.MAX_PASSWORD_LENGTH + 1))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void logout(RoutingContext ctx) {
    accounts
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

  private Future<?> wsTicket(RoutingContext ctx) {
    ctx.response().setStatusCode(201);
    return accounts.issueWsTicket(AuthenticatedUser.of(ctx));
  }

  static String address(RoutingContext ctx) {
    if (ctx.request().remoteAddress() == null) {
      throw ApiException.validation("No client address.");
    }
    return ctx.request().remoteAddress().hostAddress();
  }
}
