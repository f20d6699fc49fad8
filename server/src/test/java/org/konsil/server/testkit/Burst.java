package org.konsil.server.testkit;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Sends many requests at once, each on a connection of its own, and holds a user's row lock while
 * they queue up, so that tests see what guesses sent together do.
 */
public final class Burst {

  private Burst() {}

  /** POSTs every body at once; the answers complete as they arrive. */
  public static List<CompletableFuture<Api.Response>> post(
      KonsilServer server, String path, List<JsonObject> bodies) {
    WebClient client =
        WebClient.create(
            server.clientVertx(),
            new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()),
            new PoolOptions().setHttp1MaxSize(bodies.size()));
    List<CompletableFuture<Api.Response>> answers =
        bodies.stream()
            .map(
                body ->
                    client
                        .post(path)
                        .putHeader("Content-Type", "application/json")
                        .sendBuffer(body.toBuffer())
                        .map(
                            response ->
                                Api.checked(
                                    HttpMethod.POST,
                                    path,
                                    "application/json",
                                    body.toBuffer(),
                                    response))
                        .toCompletionStage()
                        .toCompletableFuture())
            .toList();
    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .whenComplete((all, failure) -> client.close());
    return answers;
  }

  /** A database session of its own that holds the user's row lock until it is closed. */
  public static Connection holdUserLock(KonsilServer server, String email) throws SQLException {
    var db = server.database();
    Connection holder = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    holder.setAutoCommit(false);
    var statement = holder.prepareStatement("SELECT 1 FROM users WHERE email = ? FOR UPDATE");
    statement.setString(1, email);
    statement.executeQuery();
    return holder;
  }

  /** Waits until at least this many statements wait for a row lock. */
  public static void awaitLockWaiters(KonsilServer server, int waiting) {
    Waiting.until(
        () ->
            server.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                >= waiting,
        waiting + " statements waiting for a row lock");
  }

  /** All answers, once every request has been answered. */
  public static List<Api.Response> all(List<CompletableFuture<Api.Response>> answers) {
    return answers.stream().map(CompletableFuture::join).toList();
  }
}
