package org.konsil.server.notifications;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import org.konsil.fax.http.HttpFaxTransport;
import org.konsil.server.http.ApiException;

/**
 * The public route a fax provider calls with a fax's outcome, signed with HMAC-SHA256 of the raw
 * body in {@code X-Konsil-Signature} (hex). Only mounted when a callback secret is configured.
 */
public final class FaxCallbackRoutes {

  public static final String PATH = "/fax-callbacks";

  private final FaxOutbox outbox;
  private final byte[] secret;

  public FaxCallbackRoutes(FaxOutbox outbox, String secret) {
    this.outbox = outbox;
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  public void mount(Router router) {
    router.post(PATH).handler(this::callback);
  }

  private void callback(RoutingContext ctx) {
    byte[] body =
        ctx.body() == null || ctx.body().buffer() == null
            ? new byte[0]
            : ctx.body().buffer().getBytes();
    if (!HttpFaxTransport.verifyCallback(
        body, ctx.request().getHeader("X-Konsil-Signature"), secret)) {
      ctx.fail(
          new ApiException(401, "invalid_signature", "The callback's signature does not match."));
      return;
    }
    JsonObject json;
    try {
      json = new JsonObject(new String(body, StandardCharsets.UTF_8));
    } catch (DecodeException e) {
      ctx.fail(ApiException.malformedJson());
      return;
    }
    outbox
        .recordCallback(HttpFaxTransport.fromCallback(json))
        .onSuccess(
            known -> {
              if (known) {
                ctx.response().setStatusCode(204).end();
              } else {
                ctx.fail(ApiException.notFound("No fax waits for this id."));
              }
            })
        .onFailure(ctx::fail);
  }
}
