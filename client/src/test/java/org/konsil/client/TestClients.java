package org.konsil.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.konsil.client.e2e.KeySettings;
import org.konsil.client.live.LiveSettings;
import org.konsil.client.store.StoreSettings;
import org.konsil.server.testkit.KonsilServer;

/** Client-library instances against a test server, with cheap key derivation and small batches. */
final class TestClients {

  /** Argon2id at its cheapest: the tests prove the store, not the cost. */
  static final StoreSettings CHEAP = new StoreSettings(1024, 1, 1);

  /** Small batches, so that a few fetches bring a device below the server's threshold (10). */
  static final KeySettings SMALL_BATCHES =
      new KeySettings(12, 10, Duration.ofDays(30), Duration.ofDays(7), 3);

  static final LiveSettings QUICK = new LiveSettings(50, 500, 5_000);

  private TestClients() {}

  static ClientOptions options(KonsilServer server) {
    return new ClientOptions()
        .setServer("http://127.0.0.1:" + server.port())
        .setStoreSettings(CHEAP)
        .setKeySettings(SMALL_BATCHES)
        .setLiveSettings(QUICK);
  }

  static ClientOptions options(KonsilServer server, Path keyStore) {
    return options(server).setKeyStore(keyStore);
  }

  /** A client whose events go to the log. */
  static KonsilClient client(Vertx vertx, ClientOptions options, EventLog log) {
    return KonsilClient.create(vertx, options).onEvent(log);
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The failure of a future that must fail. */
  static Throwable failure(Future<?> future) {
    try {
      future.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e;
      while (cause.getCause() != null
          && (cause instanceof java.util.concurrent.ExecutionException
              || cause instanceof java.util.concurrent.CompletionException)) {
        cause = cause.getCause();
      }
      return cause;
    }
    throw new AssertionError("the future succeeded");
  }
}
