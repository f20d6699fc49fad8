package org.konsil.server.testkit;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.TimeUnit;

/**
 * A blocking REST client for tests, talking real HTTP to the server on loopback. Every answer is
 * checked against {@code docs/openapi.yaml} ({@link RestContract}); one that breaks it fails the
 * test that asked.
 */
public final class Api {

  /** A response with its body parsed where it is JSON. */
  public record Response(int status, String body, MultiMap headers, Buffer bytes) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public JsonArray array() {
      return new JsonArray(body);
    }

    /** The problem code of an error response. */
    public String code() {
      return json().getString("code");
    }

    public String contentType() {
      return headers.get("Content-Type");
    }
  }

  private final WebClient client;

  /** The answer as a {@link Response}, after checking it against the contract. */
  public static Response checked(HttpMethod method, String uri, HttpResponse<Buffer> response) {
    return checked(method, uri, null, null, response);
  }

  /** The same, judging the answer against the request that was sent. */
  public static Response checked(
      HttpMethod method,
      String uri,
      String requestType,
      Buffer requestBody,
      HttpResponse<Buffer> response) {
    Buffer bytes = response.body() == null ? Buffer.buffer() : response.body();
    RestContract.get()
        .check(
            method.name(),
            uri,
            requestType,
            requestBody,
            response.statusCode(),
            response.headers(),
            bytes);
    String text = response.bodyAsString();
    return new Response(response.statusCode(), text == null ? "" : text, response.headers(), bytes);
  }

  public Api(Vertx vertx, int port) {
    this.client =
        WebClient.create(
            vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
  }

  public Response get(String path, String token) {
    return send(HttpMethod.GET, path, token, null, null);
  }

  public Response post(String path, JsonObject body, String token) {
    return send(
        HttpMethod.POST, path, token, "application/json", body == null ? null : body.toBuffer());
  }

  public Response put(String path, JsonObject body, String token) {
    return send(HttpMethod.PUT, path, token, "application/json", body.toBuffer());
  }

  public Response patch(String path, JsonObject body, String token) {
    return send(HttpMethod.PATCH, path, token, "application/json", body.toBuffer());
  }

  public Response send(
      HttpMethod method, String path, String token, String contentType, Buffer body) {
    return send(
        method, path, token, contentType, body, io.vertx.core.MultiMap.caseInsensitiveMultiMap());
  }

  /** A request with extra headers (cookies, the browser's session header). */
  public Response send(
      HttpMethod method,
      String path,
      String token,
      String contentType,
      Buffer body,
      io.vertx.core.MultiMap headers) {
    HttpRequest<Buffer> request = client.request(method, path);
    request.putHeaders(headers);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      request.putHeader("Content-Type", contentType);
    }
    try {
      HttpResponse<Buffer> response =
          (body == null ? request.send() : request.sendBuffer(body)).await(20, TimeUnit.SECONDS);
      return checked(method, path, contentType, body, response);
    } catch (AssertionError e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    }
  }
}
