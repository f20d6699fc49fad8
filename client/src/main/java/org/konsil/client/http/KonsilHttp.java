package org.konsil.client.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Clock;
import java.util.function.Consumer;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.SessionEnded;

/**
 * The REST side of a login session: password and second factor, the short-lived access token
 * refreshed before it expires (one refresh at a time, since each refresh token is good once), and
 * authenticated JSON calls that refresh and retry once when the server finds the token expired.
 *
 * <p>Not thread-safe: use it from one Vert.x context (the client's).
 */
public final class KonsilHttp {

  /** Refresh this long before the access token expires. */
  private static final long REFRESH_MARGIN_MILLIS = 30_000;

  private final WebClient web;
  private final String server;
  private final Clock clock;
  private final Consumer<ClientEvent> events;
  private String accessToken;
  private long accessExpiresAt;
  private String refreshToken;
  private Account account;
  private Future<Account> refreshing;

  /**
   * @param server the server's base URL, e.g. {@code https://konsil.example.org}
   */
  public KonsilHttp(
      Vertx vertx,
      String server,
      WebClientOptions options,
      Clock clock,
      Consumer<ClientEvent> events) {
    this.web = WebClient.create(vertx, options);
    this.server = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    this.clock = clock;
    this.events = events;
  }

  public String server() {
    return server;
  }

  /** The logged-in user, or null. */
  public Account account() {
    return account;
  }

  public boolean loggedIn() {
    return refreshToken != null;
  }

  /** Step one: e-mail address and password. */
  public Future<LoginStep> login(String email, String password) {
    return web.postAbs(server + "/api/v1/auth/login")
        .sendJsonObject(new JsonObject().put("email", email).put("password", password))
        .map(
            response -> {
              JsonObject body = expectObject(response, 200);
              if ("second_factor_required".equals(body.getString("status"))) {
                return new LoginStep(null, body.getString("challenge"));
              }
              return new LoginStep(accept(body), null);
            });
  }

  /** Step two: the challenge of step one and a TOTP code (or a recovery code). */
  public Future<Account> completeSecondFactor(String challenge, String code) {
    JsonObject body = new JsonObject().put("challenge", challenge);
    if (code != null && code.trim().matches("[0-9]{6}")) {
      body.put("code", code.trim());
    } else {
      body.put("recoveryCode", code);
    }
    return web.postAbs(server + "/api/v1/auth/second-factor")
        .sendJsonObject(body)
        .map(response -> accept(expectObject(response, 200)));
  }

  /**
   * Swaps the refresh token for new tokens. Calls while one is under way share it. A refused token
   * ends the session ({@link SessionEndedException}, and a {@link SessionEnded} event).
   */
  public Future<Account> refresh() {
    if (refreshing != null) {
      return refreshing;
    }
    if (refreshToken == null) {
      return Future.failedFuture(notLoggedIn());
    }
    String token = refreshToken;
    refreshing =
        web.postAbs(server + "/api/v1/auth/refresh")
            .sendJsonObject(new JsonObject().put("refreshToken", token))
            .map(
                response -> {
                  if (response.statusCode() == 401) {
                    String code = problem(response).code();
                    end(code);
                    throw new SessionEndedException(code, "The session has ended; log in again.");
                  }
                  return accept(expectObject(response, 200));
                })
            .andThen(done -> refreshing = null);
    return refreshing;
  }

  /** Ends the session on the server; the tokens are forgotten whatever the answer. */
  public Future<Void> logout() {
    if (!loggedIn()) {
      return Future.succeededFuture();
    }
    return call(HttpMethod.POST, "/api/v1/auth/logout", null)
        .<Void>mapEmpty()
        .recover(
            failure ->
                failure instanceof SessionEndedException
                    ? Future.succeededFuture()
                    : Future.failedFuture(failure))
        .andThen(done -> end("logout"));
  }

  /** Forgets the tokens of a session the server ended (told over the WebSocket). */
  public void sessionEnded() {
    accessToken = null;
    refreshToken = null;
  }

  /** A single-use ticket for the WebSocket. */
  public Future<String> webSocketTicket() {
    return json(HttpMethod.POST, "/api/v1/ws-tickets", null, 201)
        .map(ticket -> ticket.getString("ticket"));
  }

  /** An authenticated call whose answer must have the status and be a JSON object. */
  public Future<JsonObject> json(HttpMethod method, String path, JsonObject body, int... status) {
    return call(method, path, body).map(response -> expectObject(response, status));
  }

  /** An authenticated call whose answer must have the status and be a JSON array. */
  public Future<JsonArray> array(HttpMethod method, String path, int status) {
    return call(method, path, null)
        .map(
            response -> {
              expect(response, status);
              return response.bodyAsJsonArray();
            });
  }

  /** An authenticated call whose answer must have the status; its body is not read. */
  public Future<Void> empty(HttpMethod method, String path, JsonObject body, int status) {
    return call(method, path, body)
        .map(
            response -> {
              expect(response, status);
              return null;
            });
  }

  /** Uploads bytes ({@code application/octet-stream}); the answer must be a JSON object. */
  public Future<JsonObject> upload(String path, Buffer bytes, int status) {
    return call(HttpMethod.POST, path, bytes).map(response -> expectObject(response, status));
  }

  /** Downloads bytes; the answer must be 200. */
  public Future<Buffer> download(String path) {
    return call(HttpMethod.GET, path, null)
        .map(
            response -> {
              expect(response, 200);
              Buffer body = response.body();
              return body == null ? Buffer.buffer() : body;
            });
  }

  /**
   * An authenticated request of any path of the REST API (with its query), answered as it came,
   * whatever its status: for a program that relays the API (the desktop companion). The body, if
   * any, goes with its media type; an expired access token is renewed as for every other call.
   */
  public Future<HttpResponse<Buffer>> forward(
      HttpMethod method, String pathAndQuery, String contentType, Buffer body) {
    if (!pathAndQuery.startsWith("/api/")) {
      return Future.failedFuture(new IllegalArgumentException("not a path of the API"));
    }
    Object content = body == null || body.length() == 0 ? null : new Forwarded(contentType, body);
    return call(method, pathAndQuery, content);
  }

  /** A body with its own media type. */
  private record Forwarded(String contentType, Buffer body) {}

  private Future<HttpResponse<Buffer>> call(HttpMethod method, String path, Object body) {
    return validToken()
        .compose(token -> send(method, path, body, token))
        .compose(
            response -> {
              if (response.statusCode() == 401
                  && "invalid_token".equals(problem(response).code())) {
                // expired early (a clock apart from the server's) or the session ended: refresh
                // tells which
                return refresh().compose(account -> send(method, path, body, accessToken));
              }
              return Future.succeededFuture(response);
            });
  }

  private Future<HttpResponse<Buffer>> send(
      HttpMethod method, String path, Object body, String token) {
    HttpRequest<Buffer> request =
        web.requestAbs(method, server + path).putHeader("Authorization", "Bearer " + token);
    if (body instanceof Forwarded forwarded) {
      if (forwarded.contentType() != null) {
        request.putHeader("Content-Type", forwarded.contentType());
      }
      return request.sendBuffer(forwarded.body());
    }
    if (body instanceof Buffer bytes) {
      return request.putHeader("Content-Type", "application/octet-stream").sendBuffer(bytes);
    }
    return body == null ? request.send() : request.sendJsonObject((JsonObject) body);
  }

  private Future<String> validToken() {
    if (refreshToken == null) {
      return Future.failedFuture(notLoggedIn());
    }
    if (clock.millis() < accessExpiresAt - REFRESH_MARGIN_MILLIS) {
      return Future.succeededFuture(accessToken);
    }
    return refresh().map(account -> accessToken);
  }

  private Account accept(JsonObject body) {
    accessToken = body.getString("accessToken");
    accessExpiresAt = clock.millis() + body.getLong("expiresIn", 300L) * 1000;
    refreshToken = body.getString("refreshToken");
    account = Account.from(body.getJsonObject("user"));
    return account;
  }

  private void end(String code) {
    boolean wasLoggedIn = refreshToken != null;
    accessToken = null;
    refreshToken = null;
    if (wasLoggedIn) {
      events.accept(new SessionEnded(code));
    }
  }

  private static SessionEndedException notLoggedIn() {
    return new SessionEndedException("not_logged_in", "Not logged in.");
  }

  private static JsonObject expectObject(HttpResponse<Buffer> response, int... status) {
    expect(response, status);
    return response.bodyAsJsonObject();
  }

  private static void expect(HttpResponse<Buffer> response, int... status) {
    for (int expected : status) {
      if (response.statusCode() == expected) {
        return;
      }
    }
    throw problem(response);
  }

  private static KonsilApiException problem(HttpResponse<Buffer> response) {
    String code = "unknown";
    String detail = response.statusMessage();
    JsonObject problem = null;
    try {
      problem = response.bodyAsJsonObject();
      if (problem != null) {
        code = problem.getString("code", code);
        detail = problem.getString("detail", detail);
      }
    } catch (DecodeException | ClassCastException e) {
      // not a problem document; the status says enough
    }
    long retryAfter = 0;
    String header = response.getHeader("Retry-After");
    if (header != null && header.matches("[0-9]{1,9}")) {
      retryAfter = Long.parseLong(header);
    }
    return new KonsilApiException(response.statusCode(), code, detail, retryAfter, problem);
  }
}
