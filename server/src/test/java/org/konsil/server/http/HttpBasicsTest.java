package org.konsil.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;

/** Health, metrics, headers and the answers for paths and methods that do not exist. */
class HttpBasicsTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  @Test
  void healthReportsTheDatabase() {
    Api.Response health = server.api().get("/health", null);
    assertEquals(200, health.status());
    JsonObject body = health.json();
    assertEquals("UP", body.getString("status"));
    assertEquals("database", body.getJsonArray("checks").getJsonObject(0).getString("id"));
    assertEquals("UP", body.getJsonArray("checks").getJsonObject(0).getString("status"));
  }

  @Test
  void metricsAreServedAsPrometheusTextAndCountMessages() {
    TestOrg practice = server.organisation("practice");
    Session anna = server.login(practice.admin());
    UUID room = server.room(anna);
    server.sendRest(anna, room, "gezählt");
    Api.Response metrics = server.api().get("/metrics", null);
    assertEquals(200, metrics.status());
    assertTrue(metrics.contentType().startsWith("text/plain"), metrics.contentType());
    assertTrue(metrics.body().contains("konsil_messages_stored_total"), "own counter");
    assertTrue(metrics.body().contains("konsil_websocket_connections"), "socket gauge");
    assertTrue(metrics.body().contains("vertx_http_server_requests_total"), "Vert.x HTTP metrics");
    assertTrue(metrics.body().contains("jvm_memory_used_bytes"), "JVM metrics");
    assertTrue(!metrics.body().contains("gezählt"), "no message text in metrics");
  }

  @Test
  void everyResponseCarriesSecurityHeaders() {
    for (Api.Response response :
        java.util.List.of(
            server.api().get("/health", null),
            server.api().get("/api/v1/rooms", null),
            server.api().get("/", null))) {
      assertEquals("nosniff", response.headers().get("X-Content-Type-Options"));
      assertEquals("DENY", response.headers().get("X-Frame-Options"));
      assertEquals("no-store", response.headers().get("Cache-Control"));
      assertTrue(response.headers().get("Content-Security-Policy").contains("default-src 'self'"));
    }
  }

  @Test
  void unknownPathsAndMethodsAnswerWithProblems() {
    Api.Response missing = server.api().get("/nothing-here", null);
    assertEquals(404, missing.status());
    assertEquals("application/problem+json", missing.contentType());
    assertEquals("not_found", missing.code());
    TestOrg practice = server.organisation("clinic");
    Session anna = server.login(practice.admin());
    Api.Response unknownApi =
        server
            .api()
            .get(
                "/api/v1/nothing-here",
                server.login(server.organisation("practice").admin()).accessToken());
    assertEquals(404, unknownApi.status());
    assertEquals("not_found", unknownApi.code());
    Api.Response wrongMethod =
        server
            .api()
            .send(
                io.vertx.core.http.HttpMethod.DELETE,
                "/api/v1/rooms",
                anna.accessToken(),
                null,
                null);
    assertEquals(405, wrongMethod.status());
    assertEquals("method_not_allowed", wrongMethod.code());
  }

  @Test
  void aWrongMethodAnswers405WithTheMethodsOfThePathInAllow() {
    Session anna = server.login(server.organisation("practice").admin());
    Api.Response rooms =
        server.api().send(HttpMethod.DELETE, "/api/v1/rooms/", anna.accessToken(), null, null);
    assertEquals(405, rooms.status());
    assertEquals("GET, POST", rooms.headers().get("Allow"));
    Api.Response me = server.api().put("/api/v1/me", new JsonObject(), anna.accessToken());
    assertEquals(405, me.status());
    assertEquals("GET, PATCH", me.headers().get("Allow"));
    Api.Response login = server.api().get("/api/v1/auth/login", null);
    assertEquals(405, login.status());
    assertEquals("POST", login.headers().get("Allow"));
    Api.Response health = server.api().post("/health", new JsonObject(), null);
    assertEquals(405, health.status());
    assertTrue(health.headers().get("Allow").contains("GET"), health.headers().get("Allow"));
    // a path that no route takes is unknown whatever the method, also below /api/v1
    Api.Response unknown =
        server.api().post("/api/v1/nothing-here", new JsonObject(), anna.accessToken());
    assertEquals(404, unknown.status());
    assertEquals("not_found", unknown.code());
    assertEquals(null, unknown.headers().get("Allow"));
  }

  @Test
  void faxCallbacksAreUnknownWithoutACallbackSecret() {
    Api.Response callback = server.api().post("/api/v1/fax-callbacks", new JsonObject(), null);
    assertEquals(404, callback.status());
    assertEquals("not_found", callback.code());
  }

  @Test
  void unknownQueryParametersAreRefusedBeforeAnyWork() {
    Session anna = server.login(server.organisation("practice").admin());
    Api.Response rooms = server.api().get("/api/v1/rooms?sort=title", anna.accessToken());
    assertEquals(422, rooms.status());
    assertEquals("validation_failed", rooms.code());
    assertTrue(rooms.json().getString("detail").contains("'sort'"), rooms.body());
    Api.Response search =
        server.api().get("/api/v1/patients?query=Muster&birthdate=1941-03-07", anna.accessToken());
    assertEquals(422, search.status());
    assertTrue(search.json().getString("detail").contains("'birthdate'"), search.body());
    assertTrue(search.json().getString("detail").contains("birthDate, query"), search.body());
    UUID room = server.room(anna);
    Api.Response upload =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/"
                    + room
                    + "/attachments?clientMsgId="
                    + UUID.randomUUID()
                    + "&filename=befund.pdf",
                anna.accessToken(),
                "application/pdf",
                Buffer.buffer("%PDF-1.4 not stored"));
    assertEquals(422, upload.status());
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
    // the parameters a route takes are accepted, also without a token the refusal comes first
    assertEquals(
        200,
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages?after=0&limit=10", anna.accessToken())
            .status());
    assertEquals(422, server.api().get("/api/v1/rooms?sort=title", null).status());
  }

  @Test
  void webClientIsServedByKonsilItselfUnderTheStrictPolicy() {
    for (String path : new String[] {"/", "/register", "/set-password", "/download"}) {
      Api.Response page = server.api().get(path, null);
      assertEquals(200, page.status(), path);
      assertTrue(page.contentType().startsWith("text/html"), path);
      // the page names its script by a hash of the content (so browsers may keep it for good)
      assertTrue(
          page.body().matches("(?s).*<script type=\"module\" src=\"/js/main\\.[0-9a-f]+\\.js\">.*"),
          path);
      assertEquals("no-store", page.headers().get("Cache-Control"), path);
      String policy = page.headers().get("Content-Security-Policy");
      assertTrue(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"));
    }
    String hashedName =
        server
            .api()
            .get("/", null)
            .body()
            .replaceAll(
                "(?s).*<script type=\"module\" src=\"(/js/main\\.[0-9a-f]+\\.js)\">.*", "$1");
    Api.Response hashedScript = server.api().get(hashedName, null);
    assertEquals(200, hashedScript.status(), hashedName);
    assertEquals(
        "public, max-age=31536000, immutable", hashedScript.headers().get("Cache-Control"));
    // the plain name still answers (an old page open in a tab), never cached for good
    Api.Response script = server.api().get("/js/main.js", null);
    assertEquals(200, script.status());
    assertTrue(
        script.contentType().startsWith("text/javascript")
            || script.contentType().startsWith("application/javascript"),
        script.contentType());
    assertEquals(200, server.api().get("/app.css", null).status());

    Api.Response missing = server.api().get("/js/nothing-here.js", null);
    assertEquals(404, missing.status());
    assertEquals("not_found", missing.code());
    Api.Response unknownApi =
        server
            .api()
            .get(
                "/api/v1/nothing-here",
                server.login(server.organisation("practice").admin()).accessToken());
    assertEquals(404, unknownApi.status());
    assertEquals("not_found", unknownApi.code());
    assertEquals(404, server.api().get("/js/../../../../etc/passwd", null).status());
  }
}
