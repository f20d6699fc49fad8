package org.konsil.server.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fax provider's REST API as a real HTTP server on loopback: it takes faxes with a bearer token,
 * remembers them, answers "queued" and later "delivered", and can be told to fail.
 */
public final class FakeFaxProvider implements AutoCloseable {

  public static final String TOKEN = "test-fax-token";

  /** One fax as the provider received it. */
  public record Fax(String to, byte[] pdf, String idempotencyKey) {}

  private final Vertx vertx = Vertx.vertx();
  private final List<Fax> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final HttpServer server;

  public FakeFaxProvider() {
    try {
      server =
          vertx
              .createHttpServer()
              .requestHandler(
                  request ->
                      request
                          .body()
                          .onSuccess(
                              body -> {
                                if (!("Bearer " + TOKEN)
                                    .equals(request.getHeader("Authorization"))) {
                                  request.response().setStatusCode(401).end();
                                } else if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                  request.response().setStatusCode(503).end();
                                } else if (request.method().name().equals("GET")) {
                                  String id =
                                      request.path().substring(request.path().lastIndexOf('/') + 1);
                                  request
                                      .response()
                                      .end(
                                          new JsonObject()
                                              .put("id", id)
                                              .put("status", "delivered")
                                              .encode());
                                } else {
                                  JsonObject fax = body.toJsonObject();
                                  received.add(
                                      new Fax(
                                          fax.getString("to"),
                                          Base64.getDecoder().decode(fax.getString("document")),
                                          request.getHeader("Idempotency-Key")));
                                  request
                                      .response()
                                      .setStatusCode(202)
                                      .end(
                                          new JsonObject()
                                              .put("id", "fx-" + received.size())
                                              .put("status", "queued")
                                              .encode());
                                }
                              }))
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/v1";
  }

  public List<Fax> received() {
    return received;
  }

  /** The next n requests answer 503. */
  public void failNext(int n) {
    failures.set(n);
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
