package org.konsil.server.http;

import io.vertx.core.json.JsonObject;

/**
 * The one error type of the API: an HTTP status and a stable problem code. The router's failure
 * handler turns it into {@code application/problem+json}; the WebSocket gateway into an {@code
 * error} frame.
 */
public class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final Long retryAfterSeconds;
  private final JsonObject extensions;

  public ApiException(int status, String code, String detail) {
    this(status, code, detail, null);
  }

  public ApiException(int status, String code, String detail, Long retryAfterSeconds) {
    this(status, code, detail, retryAfterSeconds, null);
  }

  /**
   * A refusal with more members than the problem's own (RFC 9457 extension members), for a client
   * that acts on them; they go into the problem body and the {@code error} frame alike.
   */
  public ApiException(
      int status, String code, String detail, Long retryAfterSeconds, JsonObject extensions) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.extensions = extensions;
  }

  /** Extension members of the problem, or null. */
  public JsonObject extensions() {
    return extensions == null ? null : extensions.copy();
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String detail() {
    return getMessage();
  }

  /** Seconds after which a refused request may be tried again, or null. */
  public Long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public static ApiException validation(String detail) {
    return new ApiException(422, "validation_failed", detail);
  }

  public static ApiException malformedJson() {
    return new ApiException(400, "malformed_json", "The body is not a valid JSON object.");
  }

  public static ApiException unauthenticated(String detail) {
    return new ApiException(401, "unauthenticated", detail);
  }

  public static ApiException forbidden(String code, String detail) {
    return new ApiException(403, code, detail);
  }

  public static ApiException notFound(String detail) {
    return new ApiException(404, "not_found", detail);
  }

  /** Also used for rooms that do not exist, so that room ids cannot be probed. */
  public static ApiException notAMember() {
    return new ApiException(403, "not_a_member", "You are not a member of this room.");
  }

  /** A member organisation that does not own the room tried what only its owner may do. */
  public static ApiException notRoomOwner() {
    return new ApiException(
        403,
        "not_room_owner",
        "Only the organisation that owns this room (its admins, or the room's creator) may do"
            + " this.");
  }

  public static ApiException conflict(String code, String detail) {
    return new ApiException(409, code, detail);
  }

  public static ApiException rateLimited(String code, String detail, long retryAfterSeconds) {
    return new ApiException(429, code, detail, Math.max(1, retryAfterSeconds));
  }

  public static ApiException unavailable(String detail) {
    return new ApiException(503, "unavailable", detail);
  }
}
