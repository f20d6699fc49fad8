package org.konsil.server.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An SMS gateway's REST API as a real HTTP server on loopback: it takes SMS with a bearer token and
 * remembers them; it can be taken down (the port refuses connections) and brought up again on the
 * same port, told to answer 503 a few times, or to refuse a number for good (400).
 */
public final class FakeSmsGateway implements AutoCloseable {

  public static final String TOKEN = "test-sms-token";

  /** One SMS as the gateway received it. */
  public record Sms(String to, String text, String idempotencyKey) {}

  private final Vertx vertx = Vertx.vertx();
  private final List<Sms> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile String refusedNumber;
  private final int port;
  private HttpServer server;

  public FakeSmsGateway() {
    server = listen(0);
    port = server.actualPort();
  }

  private HttpServer listen(int onPort) {
    try {
      return vertx
          .createHttpServer()
          .requestHandler(
              request ->
                  request
                      .body()
                      .onSuccess(
                          body -> {
                            requests.incrementAndGet();
                            if (!("Bearer " + TOKEN).equals(request.getHeader("Authorization"))) {
                              request.response().setStatusCode(401).end();
                              return;
                            }
                            if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                              request.response().setStatusCode(503).end();
                              return;
                            }
                            JsonObject sms = body.toJsonObject();
                            if (sms.getString("to").equals(refusedNumber)) {
                              request
                                  .response()
                                  .setStatusCode(400)
                                  .end(new JsonObject().put("reason", "unknown number").encode());
                              return;
                            }
                            received.add(
                                new Sms(
                                    sms.getString("to"),
                                    sms.getString("text"),
                                    request.getHeader("Idempotency-Key")));
                            request
                                .response()
                                .setStatusCode(202)
                                .end(new JsonObject().put("id", "sms-" + received.size()).encode());
                          }))
          .listen(onPort, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + port + "/v1/sms";
  }

  public List<Sms> received() {
    return received;
  }

  /** How many requests reached the gateway while it was up. */
  public int requests() {
    return requests.get();
  }

  /** The next n requests answer 503. */
  public void failNext(int n) {
    failures.set(n);
  }

  /** SMS to this number are refused for good (400). */
  public void refuse(String number) {
    refusedNumber = number;
  }

  /** The gateway goes away: its port refuses connections. */
  public void down() {
    try {
      server.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The gateway is back on the same port. */
  public void up() {
    server = listen(port);
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
