package org.konsil.server.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The first handler of every HTTP request: while the node stops, new requests are refused with
 * {@code 503 unavailable} and {@code Retry-After} (another node, or this one after its restart,
 * will answer; the health check answers DOWN in its own shape), and the stop waits for the requests
 * already running to answer before the database closes under them.
 */
public final class ShutdownGate {

  /** Seconds a client should wait before it tries again. */
  public static final long RETRY_AFTER_SECONDS = 5;

  private static final String HEALTH = "/health";
  private static final String STOPPING =
      "{\"status\":\"DOWN\",\"checks\":[{\"id\":\"shutdown\",\"status\":\"DOWN\"}],"
          + "\"outcome\":\"DOWN\"}";

  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicInteger running = new AtomicInteger();
  private final Promise<Void> drained = Promise.promise();

  public void handle(RoutingContext ctx) {
    // counted before the check, so that a stop that saw no running request sees this one refused
    running.incrementAndGet();
    if (closing.get()) {
      finished();
      ctx.response().putHeader("Connection", "close");
      if (HEALTH.equals(ctx.request().path())) {
        // a load balancer reads the health answer's body: DOWN, in the health check's own shape
        ctx.response()
            .setStatusCode(503)
            .putHeader("Content-Type", "application/json")
            .putHeader("Retry-After", Long.toString(RETRY_AFTER_SECONDS))
            .end(STOPPING);
        return;
      }
      ctx.fail(
          new ApiException(
              503,
              "unavailable",
              "The server is shutting down; try again in a moment.",
              RETRY_AFTER_SECONDS));
      return;
    }
    ctx.addEndHandler(ended -> finished());
    ctx.next();
  }

  /** Refuses new requests from now on; completes when the running ones have answered. */
  public Future<Void> close() {
    closing.set(true);
    if (running.get() == 0) {
      drained.tryComplete();
    }
    return drained.future();
  }

  public boolean closing() {
    return closing.get();
  }

  private void finished() {
    if (running.decrementAndGet() == 0 && closing.get()) {
      drained.tryComplete();
    }
  }
}
