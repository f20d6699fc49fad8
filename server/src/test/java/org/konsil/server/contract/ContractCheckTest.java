package org.konsil.server.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.konsil.server.testkit.FrameContract;
import org.konsil.server.testkit.RestContract;

/** The checks that every test runs on answers and frames find what breaks the contracts. */
class ContractCheckTest {

  private static final RestContract REST = RestContract.get();
  private static final FrameContract FRAMES = FrameContract.get();

  private static MultiMap headers(String... namesAndValues) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.add(namesAndValues[i], namesAndValues[i + 1]);
    }
    return headers;
  }

  private static Buffer problem(int status, String code) {
    return new JsonObject()
        .put("type", "https://konsil.org/problems/" + code)
        .put("title", "Unauthorized")
        .put("status", status)
        .put("code", code)
        .put("detail", "Log in first.")
        .toBuffer();
  }

  @Test
  void aDeclaredProblemAnswerPasses() {
    assertEquals(
        List.of(),
        REST.violations(
            "GET",
            "/api/v1/me?x=1",
            401,
            headers("Content-Type", "application/problem+json"),
            problem(401, "unauthenticated")));
  }

  @Test
  void anUndeclaredStatusFailsNamingTheOperation() {
    AssertionError error =
        assertThrows(
            AssertionError.class,
            () ->
                REST.check(
                    "GET",
                    "/api/v1/me",
                    418,
                    headers("Content-Type", "application/problem+json"),
                    problem(418, "http_418")));
    assertTrue(error.getMessage().contains("me GET /api/v1/me"), error.getMessage());
    assertTrue(error.getMessage().contains("status 418 is not declared"), error.getMessage());
  }

  @Test
  void anUndeclaredContentTypeFails() {
    List<String> violations =
        REST.violations(
            "GET",
            "/api/v1/me",
            401,
            headers("Content-Type", "application/json"),
            problem(401, "unauthenticated"));
    assertTrue(violations.get(0).contains("Content-Type application/json is not declared"));
  }

  @Test
  void aBodyThatBreaksTheSchemaFailsNamingTheField() {
    Buffer body = new JsonObject().put("type", "x").put("status", "401").toBuffer();
    List<String> violations =
        REST.violations(
            "GET", "/api/v1/me", 401, headers("Content-Type", "application/problem+json"), body);
    String all = String.join("\n", violations);
    assertTrue(all.contains("/status"), all);
    assertTrue(all.contains("required") || all.contains("code"), all);
  }

  @Test
  void aBodyWhereNoneIsDeclaredFails() {
    List<String> violations =
        REST.violations(
            "POST",
            "/api/v1/auth/logout",
            204,
            headers("Content-Type", "application/json"),
            Buffer.buffer("{}"));
    assertEquals(List.of("the response declares no body, but one came"), violations);
  }

  @Test
  void anUnknownPathMustAnswer404WithAProblem() {
    assertEquals(
        List.of(),
        REST.violations(
            "GET",
            "/api/v1/nothing-here",
            404,
            headers("Content-Type", "application/problem+json"),
            problem(404, "not_found")));
    List<String> violations =
        REST.violations(
            "POST",
            "/api/v1/nothing-here",
            405,
            headers("Content-Type", "application/problem+json"),
            problem(405, "method_not_allowed"));
    assertTrue(violations.get(0).contains("must answer 404"), violations.toString());
  }

  @Test
  void anUndeclaredMethodMustAnswer405WithTheDeclaredMethodsInAllow() {
    Buffer body = problem(405, "method_not_allowed");
    assertEquals(
        List.of(),
        REST.violations(
            "DELETE",
            "/api/v1/me",
            405,
            headers("Content-Type", "application/problem+json", "Allow", "GET, PATCH"),
            body));
    assertTrue(
        REST.violations(
                "DELETE",
                "/api/v1/me",
                405,
                headers("Content-Type", "application/problem+json"),
                body)
            .get(0)
            .contains("a 405 must carry an Allow header"));
    assertTrue(
        REST.violations(
                "DELETE",
                "/api/v1/me",
                405,
                headers("Content-Type", "application/problem+json", "Allow", "GET"),
                body)
            .get(0)
            .contains("does not name the declared methods [GET, PATCH]"));
  }

  @Test
  void aRequiredHeaderMustBeThere() {
    String all =
        String.join(
            "\n",
            REST.violations(
                "POST",
                "/api/v1/auth/login",
                429,
                headers("Content-Type", "application/problem+json"),
                problem(429, "rate_limited")));
    assertTrue(all.contains("Retry-After"), all);
  }

  @Test
  void serverFramesAreCheckedByType() {
    assertEquals(List.of(), FRAMES.serverFrameViolations("{\"type\":\"pong\",\"ref\":\"r-1\"}"));
    assertTrue(
        FRAMES.serverFrameViolations("{\"type\":\"ack\",\"room\":\"not-a-uuid\"}").size() > 1);
    assertTrue(
        FRAMES
            .serverFrameViolations("{\"type\":\"auth\",\"token\":\"x\"}")
            .get(0)
            .contains("no message of type auth"));
  }

  @Test
  void clientFramesAreCheckedAndAFrameMeantToBeRefusedMustBreakTheContract() {
    String valid = "{\"type\":\"typing\",\"room\":\"9f0c6c1e-1b2a-4b8e-8f1d-2a3b4c5d6e7f\"}";
    FRAMES.checkClientFrame(valid);
    assertThrows(AssertionError.class, () -> FRAMES.checkInvalidClientFrame(valid));
    String invalid = "{\"type\":\"typing\",\"room\":7}";
    assertThrows(AssertionError.class, () -> FRAMES.checkClientFrame(invalid));
    FRAMES.checkInvalidClientFrame(invalid);
  }
}
