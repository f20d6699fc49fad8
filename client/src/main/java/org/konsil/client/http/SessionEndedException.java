package org.konsil.client.http;

/**
 * There is no login session (any more): not logged in, logged out, or the server ended the session
 * (its lifetime, a reused refresh token, a new password, a disabled account). Log in again.
 */
public final class SessionEndedException extends RuntimeException {

  private final String code;

  public SessionEndedException(String code, String message) {
    super(message);
    this.code = code;
  }

  /** Why: a problem or error code of the server, {@code logout} or {@code not_logged_in}. */
  public String code() {
    return code;
  }
}
