package org.konsil.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void webClientIsServedByKonsilItselfUnderTheStrictPolicy() {
    for (String path : new String[] {"/", "/register", "/set-password"}) {
      Api.Response page = server.api().get(path, null);
      assertEquals(200, page.status(), path);
      assertTrue(page.contentType().startsWith("text/html"), path);
      assertTrue(page.body().contains("<script type=\"module\" src=\"/js/main.js\">"), path);
      String policy = page.headers().get("Content-Security-Policy");
      assertTrue(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"));
    }
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
