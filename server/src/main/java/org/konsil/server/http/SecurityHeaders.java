package org.konsil.server.http;

import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/** Headers every response carries: no caching of health data, no framing, no sniffing. */
public final class SecurityHeaders {

  private SecurityHeaders() {}

  public static void apply(RoutingContext ctx) {
    MultiMap headers = ctx.response().headers();
    headers
        .set("X-Content-Type-Options", "nosniff")
        .set("X-Frame-Options", "DENY")
        .set("Referrer-Policy", "no-referrer")
        .set(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
                + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action"
                + " 'self'")
        .set("Cache-Control", "no-store");
    if (ctx.request().isSSL()) {
      headers.set("Strict-Transport-Security", "max-age=31536000");
    }
    ctx.next();
  }
}
