package org.konsil.client.http;

/**
 * The server refused a request: its status and the stable problem {@code code} of its problem+json
 * answer (RFC 9457), e.g. {@code rate_limited} with the seconds to wait.
 */
public final class KonsilApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final long retryAfterSeconds;

  public KonsilApiException(int status, String code, String detail, long retryAfterSeconds) {
    super(status + " " + code + (detail == null ? "" : ": " + detail));
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
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
