package org.konsil.server.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.pgclient.PgException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The router's failure handler: every refusal leaves as RFC 9457 problem+json with a code. */
public final class Problems {

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

  private Problems() {}

  public static void handle(RoutingContext ctx) {
    ApiException problem = toApiException(ctx);
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      response.reset();
      return;
    }
    if (!ctx.request().isEnded()) {
      // a body the refusal did not read (an upload refused early): do not wait for the rest
      response.putHeader("Connection", "close");
    }
    if (problem.retryAfterSeconds() != null) {
      response.putHeader("Retry-After", Long.toString(problem.retryAfterSeconds()));
    }
    response
        .setStatusCode(problem.status())
        .putHeader("Content-Type", "application/problem+json")
        .end(toJson(problem, ctx.request().path()).encode());
  }

  public static JsonObject toJson(ApiException problem, String instance) {
    JsonObject body =
        new JsonObject()
            .put("type", "https://konsil.org/problems/" + problem.code())
            .put("title", title(problem.status()))
            .put("status", problem.status())
            .put("code", problem.code())
            .put("detail", problem.detail());
    if (instance != null) {
      body.put("instance", instance);
    }
    JsonObject extensions = problem.extensions();
    if (extensions != null) {
      extensions.forEach(member -> body.put(member.getKey(), member.getValue()));
    }
    return body;
  }

  /**
   * Maps anything that failed a request to the API's error type; unexpected failures are logged.
   */
  public static ApiException toApiException(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof HttpException http) {
      return fromStatus(http.getStatusCode());
    }
    if (failure == null || (ctx.statusCode() >= 400 && ctx.statusCode() < 500)) {
      return fromStatus(ctx.statusCode());
    }
    return unexpected(failure);
  }

  public static ApiException unexpected(Throwable failure) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (isUnstorableText(failure)) {
      // A safety net behind the checks on JSON and URLs: text PostgreSQL refuses is bad input.
      return ApiException.validation(
          "The request contains characters that cannot be stored, such as U+0000.");
    }
    String reference = UUID.randomUUID().toString();
    LOG.error("unexpected failure, reference {}", reference, failure);
    return new ApiException(
        500, "internal_error", "Something went wrong on the server; reference " + reference + ".");
  }

  /** PostgreSQL's refusals of U+0000 in text (22021) and of \u0000 in jsonb (22P05). */
  private static boolean isUnstorableText(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof PgException pg
          && ("22021".equals(pg.getSqlState()) || "22P05".equals(pg.getSqlState()))) {
        return true;
      }
    }
    return false;
  }

  private static ApiException fromStatus(int status) {
    return switch (status) {
      case 400 -> ApiException.malformedJson();
      case 401 -> ApiException.unauthenticated("Log in first.");
      case 404 -> ApiException.notFound("No such resource.");
      case 405 -> new ApiException(405, "method_not_allowed", "This method is not allowed here.");
      case 413 ->
          new ApiException(413, "payload_too_large", "The request body is larger than allowed.");
      case 415 ->
          new ApiException(415, "unsupported_media_type", "Send the body as application/json.");
      default -> new ApiException(status, "http_" + status, title(status));
    };
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 410 -> "Gone";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Content";
      case 423 -> "Locked";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Error";
    };
  }
}
