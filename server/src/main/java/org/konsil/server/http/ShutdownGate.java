package org.konsil.server.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The first handler of every HTTP request: while the node stops, new requests are refused with
 * {@code 503 unavailable} and {@code Retry-After} (another node, or this one after its restart,
 * will answer), and the stop waits for the requests already running to answer before the database
 * closes under them.
 */
public final class ShutdownGate {

  /** Seconds a client should wait before it tries again. */
  public static final long RETRY_AFTER_SECONDS = 5;

  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicInteger running = new AtomicInteger();
  private final Promise<Void> drained = Promise.promise();

  public void handle(RoutingContext ctx) {
    // counted before the check, so that a stop that saw no running request sees this one refused
    running.incrementAndGet();
    if (closing.get()) {
      finished();
      ctx.response().putHeader("Connection", "close");
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
