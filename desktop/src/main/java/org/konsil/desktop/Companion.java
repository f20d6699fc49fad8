package org.konsil.desktop;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.konsil.client.KonsilClient;
import org.konsil.client.encrypted.EncryptedFile;
import org.konsil.client.event.SessionEnded;
import org.konsil.client.event.ThisDeviceRemoved;
import org.konsil.client.http.KonsilApiException;
import org.konsil.client.live.Ack;
import org.konsil.client.live.SendRefusedException;

/**
 * The desktop companion's local web server: Konsil's own web UI (from this jar, never from the
 * server) on {@code 127.0.0.1}, opened with a one-time login link, and the REST API and WebSocket
 * relayed to the Konsil server under the companion's session. End-to-end encrypted rooms work here
 * like plain rooms: their messages are decrypted and sent by the client library on this computer.
 * See {@code docs/desktop.md}.
 */
public final class Companion {

  /** What the web UI reads to know that it runs in the companion. */
  static final String MARKER = "<meta name=\"konsil-desktop\" content=\"on\">";

  private static final long BODY_LIMIT = 64L * 1024 * 1024;
  private static final List<String> RELAYED_HEADERS =
      List.of("Content-Type", "Content-Disposition", "Retry-After", "Allow", "Location");

  private final Vertx vertx;
  private final KonsilClient client;
  private final LocalSessions sessions = new LocalSessions(Clock.systemUTC());
  private final Plaintexts plaintexts;
  private final Buffer page;
  private HttpServer http;
  private int port;

  private Companion(Vertx vertx, KonsilClient client) {
    this.vertx = vertx;
    this.client = client;
    this.plaintexts = new Plaintexts(vertx, client);
    this.page = page();
  }

  /**
   * Serves the web UI for a client that is logged in, has its key store open, its device registered
   * and is connected; on {@code port} of 127.0.0.1 (0: any free port).
   */
  public static Future<Companion> start(Vertx vertx, KonsilClient client, int port) {
    Companion companion = new Companion(vertx, client);
    client.onEvent(
        event -> {
          companion.plaintexts.onEvent(event);
          if (event instanceof SessionEnded || event instanceof ThisDeviceRemoved) {
            companion.sessions.endAll();
          }
        });
    return vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
        .requestHandler(companion.router())
        .listen()
        .map(
            started -> {
              companion.http = started;
              companion.port = started.actualPort();
              return companion;
            });
  }

  /** The port the page is served on. */
  public int port() {
    return port;
  }

  /** A new one-time link that opens the page in a browser (valid for ten minutes). */
  public String newLoginLink() {
    return origin() + "/login?code=" + sessions.newLoginCode();
  }

  /** Stops serving; every page's session ends. */
  public Future<Void> stop() {
    sessions.endAll();
    return http == null ? Future.succeededFuture() : http.close();
  }

  private String origin() {
    return "http://127.0.0.1:" + port;
  }

  private String cookieName() {
    return "konsil_desktop_" + port;
  }

  // ---- routes ----

  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(this::hostAndHeaders);
    router.get("/login").handler(this::login);
    router.get("/").handler(this::page);
    router.get("/index.html").handler(this::page);
    router.get("/api/v1/ws").handler(this::webSocket);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
    router.post("/api/v1/auth/refresh").handler(this::refresh);
    router.post("/api/v1/auth/logout").handler(this::logout);
    router.route("/api/v1/auth/*").handler(this::passwordLoginRefused);
    router.route("/api/*").handler(this::authenticated);
    router.post("/api/v1/ws-tickets").handler(this::ticket);
    router.get("/api/v1/rooms").handler(this::rooms);
    router.get("/api/v1/rooms/:room/messages").handler(this::history);
    router.post("/api/v1/rooms/:room/attachments").handler(this::upload);
    router.get("/api/v1/attachments/:attachment").handler(this::download);
    router.route("/api/*").handler(this::forward);
    router.route().handler(StaticHandler.create("webroot").setCachingEnabled(false));
    return router;
  }

  /**
   * Only this port of this computer by its own name (no page of another site that resolves its name
   * to 127.0.0.1), only requests from the page itself; the server's security headers.
   */
  private void hostAndHeaders(RoutingContext ctx) {
    HostAndPort authority = ctx.request().authority();
    boolean ownHost =
        authority != null
            && authority.port() == port
            && ("127.0.0.1".equals(authority.host()) || "localhost".equals(authority.host()));
    if (!ownHost) {
      problem(ctx, 421, "misdirected_request", "This companion answers on " + origin() + " only.");
      return;
    }
    String origin = ctx.request().getHeader("Origin");
    if (origin != null && !origin.equals(origin()) && !origin.equals("http://localhost:" + port)) {
      problem(ctx, 403, "forbidden_origin", "Requests from other pages are refused.");
      return;
    }
    ctx.response()
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
                + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action"
                + " 'self'")
        .putHeader("Cache-Control", "no-store");
    ctx.next();
  }

  private void login(RoutingContext ctx) {
    String session = sessions.redeem(ctx.request().getParam("code"));
    if (session == null) {
      ctx.response()
          .setStatusCode(403)
          .putHeader("Content-Type", "text/html; charset=utf-8")
          .end(
              "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>Konsil"
                  + " Desktop</title></head><body><h1>Anmeldelink verbraucht oder abgelaufen</h1>"
                  + "<p>Jeder Link öffnet Konsil Desktop nur einmal. Drücken Sie im Fenster von"
                  + " Konsil Desktop die Eingabetaste für einen neuen Link.</p>"
                  + "<p lang=\"en\">This login link was used or has expired. Press Enter in the"
                  + " Konsil Desktop window for a new one.</p></body></html>");
      return;
    }
    ctx.response()
        .addCookie(
            Cookie.cookie(cookieName(), session)
                .setPath("/")
                .setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT))
        .setStatusCode(303)
        .putHeader("Location", "/")
        .end();
  }

  private void page(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end(page);
  }

  private void refresh(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(cookieName());
    String token = sessions.accessToken(cookie == null ? null : cookie.getValue());
    if (token == null) {
      problem(
          ctx,
          401,
          "invalid_refresh_token",
          "No session here: open the login link that Konsil Desktop shows.");
      return;
    }
    client
        .getObject("/api/v1/me")
        .onSuccess(
            user ->
                json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("accessToken", token)
                        .put("tokenType", "Bearer")
                        .put("expiresIn", 86_400)
                        .put("user", user)))
        .onFailure(failure -> failed(ctx, failure));
  }

  private void logout(RoutingContext ctx) {
    String token = bearer(ctx);
    if (token != null) {
      sessions.end(token);
    }
    ctx.response()
        .addCookie(Cookie.cookie(cookieName(), "").setPath("/").setHttpOnly(true).setMaxAge(0))
        .setStatusCode(204)
        .end();
  }

  private void passwordLoginRefused(RoutingContext ctx) {
    problem(
        ctx,
        403,
        "desktop_login_link",
        "Konsil Desktop is signed in already: open the login link it shows in its window.");
  }

  private void authenticated(RoutingContext ctx) {
    if (!sessions.validToken(bearer(ctx))) {
      problem(ctx, 401, "invalid_token", "Not signed in to this companion.");
      return;
    }
    ctx.next();
  }

  private void ticket(RoutingContext ctx) {
    String ticket = sessions.newTicket(bearer(ctx));
    json(ctx, 201, new JsonObject().put("ticket", ticket).put("expiresIn", 30));
  }

  private void webSocket(RoutingContext ctx) {
    if (!sessions.redeemTicket(ctx.request().getParam("ticket"))) {
      problem(ctx, 401, "invalid_ticket", "The ticket is unknown, used or expired.");
      return;
    }
    ctx.request().toWebSocket().onSuccess(ws -> new Relay(ws, client, plaintexts).start());
  }

  private void rooms(RoutingContext ctx) {
    relayShown(ctx, answer -> plaintexts.rooms(answer.bodyAsJsonArray()).map(JsonArray::toBuffer));
  }

  private void history(RoutingContext ctx) {
    relayShown(ctx, answer -> plaintexts.page(answer.bodyAsJsonObject()).map(JsonObject::toBuffer));
  }

  /**
   * Relays the request and answers with what {@code shown} makes of a 200 answer (the encrypted
   * messages in it decrypted); any other answer, or one that cannot be shown, as it came.
   */
  private void relayShown(
      RoutingContext ctx, Function<HttpResponse<Buffer>, Future<Buffer>> shown) {
    relay(ctx)
        .onSuccess(
            answer -> {
              if (answer.statusCode() != 200) {
                respond(ctx, answer, answer.body());
                return;
              }
              shown
                  .apply(answer)
                  .onSuccess(body -> respond(ctx, answer, body))
                  .onFailure(failure -> respond(ctx, answer, answer.body()));
            })
        .onFailure(failure -> failed(ctx, failure));
  }

  /** A file into an encrypted room is encrypted here; into a plain room it goes as it is. */
  private void upload(RoutingContext ctx) {
    UUID room = uuid(ctx.pathParam("room"));
    if (room == null) {
      forward(ctx);
      return;
    }
    plaintexts
        .encrypted(room)
        .onFailure(failure -> forward(ctx))
        .onSuccess(
            encrypted -> {
              if (!encrypted) {
                forward(ctx);
                return;
              }
              String fileName = ctx.request().getParam("fileName");
              UUID clientMsgId = uuid(ctx.request().getParam("clientMsgId"));
              if (fileName == null || fileName.isBlank() || clientMsgId == null) {
                problem(ctx, 400, "validation_failed", "fileName and clientMsgId are needed.");
                return;
              }
              Buffer body = ctx.body().buffer();
              client
                  .encryptedRooms()
                  .sendFile(
                      room,
                      fileName,
                      ctx.request().getHeader("Content-Type"),
                      body == null ? new byte[0] : body.getBytes(),
                      null,
                      clientMsgId)
                  .onSuccess(ack -> json(ctx, 201, ackJson(ack)))
                  .onFailure(failure -> failed(ctx, failure));
            });
  }

  /** A file a decrypted message named is downloaded, checked and decrypted here. */
  private void download(RoutingContext ctx) {
    EncryptedFile file = plaintexts.file(uuid(ctx.pathParam("attachment")));
    if (file == null) {
      forward(ctx);
      return;
    }
    client
        .encryptedRooms()
        .download(file)
        .onSuccess(
            bytes ->
                ctx.response()
                    .putHeader("Content-Type", file.mediaType())
                    .putHeader(
                        "Content-Disposition",
                        "attachment; filename*=UTF-8''"
                            + URLEncoder.encode(file.fileName(), StandardCharsets.UTF_8)
                                .replace("+", "%20"))
                    .end(Buffer.buffer(bytes)))
        .onFailure(
            failure -> {
              if (failure instanceof KonsilApiException) {
                failed(ctx, failure);
              } else {
                problem(
                    ctx,
                    422,
                    "invalid_file",
                    "The file does not match what its message promised; it was not opened.");
              }
            });
  }

  private void forward(RoutingContext ctx) {
    relay(ctx)
        .onSuccess(answer -> respond(ctx, answer, answer.body()))
        .onFailure(failure -> failed(ctx, failure));
  }

  private Future<HttpResponse<Buffer>> relay(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    return client.forward(
        method, ctx.request().uri(), ctx.request().getHeader("Content-Type"), body);
  }

  private static void respond(RoutingContext ctx, HttpResponse<Buffer> answer, Buffer body) {
    HttpServerResponse response = ctx.response().setStatusCode(answer.statusCode());
    for (String header : RELAYED_HEADERS) {
      String value = answer.getHeader(header);
      if (value != null) {
        response.putHeader(header, value);
      }
    }
    if (body == null) {
      response.end();
    } else {
      response.end(body);
    }
  }

  // ---- answers ----

  /** An acknowledgement as the server words it. */
  static JsonObject ackJson(Ack ack) {
    return new JsonObject()
        .put("room", ack.room().toString())
        .put("seq", ack.seq())
        .put("id", ack.id().toString())
        .put("clientMsgId", ack.clientMsgId().toString())
        .put("sentAt", ack.sentAt().toString())
        .put("duplicate", ack.duplicate());
  }

  private static Void failed(RoutingContext ctx, Throwable failure) {
    if (failure instanceof KonsilApiException api) {
      problem(ctx, api.status(), api.code(), api.getMessage());
    } else if (failure instanceof SendRefusedException refused) {
      problem(ctx, 409, refused.code(), refused.getMessage());
    } else if (failure instanceof IllegalArgumentException invalid) {
      problem(ctx, 400, "validation_failed", invalid.getMessage());
    } else {
      problem(ctx, 503, "unavailable", "The Konsil server cannot be reached; try again.");
    }
    return null;
  }

  private static Void problem(RoutingContext ctx, int status, String code, String detail) {
    if (ctx.response().ended()) {
      return null;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/problem+json")
        .end(
            new JsonObject()
                .put("type", "about:blank")
                .put("status", status)
                .put("code", code)
                .put("detail", detail)
                .encode());
    return null;
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }

  private static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    return header != null && header.startsWith("Bearer ") ? header.substring(7) : null;
  }

  private static UUID uuid(String value) {
    try {
      return value == null ? null : UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The web UI's page with the marker that tells it it runs in the companion. */
  private static Buffer page() {
    try (InputStream in =
        Companion.class.getClassLoader().getResourceAsStream("webroot/index.html")) {
      if (in == null) {
        throw new IllegalStateException("webroot/index.html is not on the classpath");
      }
      String html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return Buffer.buffer(html.replaceFirst("<meta charset=\"utf-8\">", "$0\n" + MARKER), "UTF-8");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
