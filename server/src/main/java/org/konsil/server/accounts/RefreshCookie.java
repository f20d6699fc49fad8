package org.konsil.server.accounts;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * The browser's way to hold a refresh token: an HttpOnly, SameSite=Strict cookie scoped to the auth
 * endpoints, so page scripts never see it. A client asks for it with the request header {@code
 * Konsil-Session: cookie}; a cross-site page cannot send that header without a CORS preflight,
 * which Konsil never grants.
 */
final class RefreshCookie {

  static final String NAME = "konsil_refresh";
  static final String REQUEST_HEADER = "Konsil-Session";
  private static final String PATH = "/api/v1/auth";

  private final Duration lifetime;
  private final boolean secureByDefault;

  RefreshCookie(Duration lifetime, String publicUrl) {
    this.lifetime = lifetime;
    this.secureByDefault = publicUrl.startsWith("https://");
  }

  /** Whether this request asked for the refresh token as a cookie. */
  static boolean requested(RoutingContext ctx) {
    return "cookie".equalsIgnoreCase(ctx.request().getHeader(REQUEST_HEADER));
  }

  /** The refresh token from the cookie, if the request asked for cookies and carries one. */
  static String read(RoutingContext ctx) {
    if (!requested(ctx)) {
      return null;
    }
    Cookie cookie = ctx.request().getCookie(NAME);
    return cookie == null || cookie.getValue().isEmpty() ? null : cookie.getValue();
  }

  /**
   * Moves the refresh token of a token response into the cookie when the client asked for that;
   * answers the response as it should go out.
   */
  JsonObject hand(RoutingContext ctx, JsonObject tokens) {
    if (!requested(ctx) || !tokens.containsKey("refreshToken")) {
      return tokens;
    }
    String token = (String) tokens.remove("refreshToken");
    ctx.response().addCookie(cookie(ctx, token).setMaxAge(lifetime.toSeconds()));
    return tokens;
  }

  /** Tells the browser to forget the cookie. */
  void clear(RoutingContext ctx) {
    ctx.response().addCookie(cookie(ctx, "").setMaxAge(0));
  }

  private Cookie cookie(RoutingContext ctx, String value) {
    return Cookie.cookie(NAME, value)
        .setPath(PATH)
        .setHttpOnly(true)
        .setSameSite(CookieSameSite.STRICT)
        .setSecure(secureByDefault || ctx.request().isSSL());
  }
}
