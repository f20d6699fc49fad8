package org.konsil.client.http;

import io.vertx.core.json.JsonObject;

/**
 * The server refused a request: its status and the stable problem {@code code} of its problem+json
 * answer (RFC 9457), e.g. {@code rate_limited} with the seconds to wait.
 */
public final class KonsilApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final long retryAfterSeconds;
  private final transient JsonObject problem;

  public KonsilApiException(int status, String code, String detail, long retryAfterSeconds) {
    this(status, code, detail, retryAfterSeconds, null);
  }

  public KonsilApiException(
      int status, String code, String detail, long retryAfterSeconds, JsonObject problem) {
    super(status + " " + code + (detail == null ? "" : ": " + detail));
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.problem = problem == null ? new JsonObject() : problem.copy();
  }

  /** The whole problem document (with extensions such as {@code missing}), or an empty object. */
  public JsonObject problem() {
    return problem.copy();
  }

  public int status() {
    return status;
  }

  /** The problem code, e.g. {@code invalid_credentials}; {@code unknown} without a problem body. */
  public String code() {
    return code;
  }

  /** The Retry-After of a 429 or 503, or 0. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
