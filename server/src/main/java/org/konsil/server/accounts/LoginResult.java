package org.konsil.server.accounts;

import org.konsil.server.identity.AuthenticatedUser;

/** What a login step answers: an open session's tokens, or a challenge for the second factor. */
public sealed interface LoginResult {

  /** An open session: a short-lived access token, the refresh token that renews it, its user. */
  record Authenticated(
      String accessToken, long expiresInSeconds, String refreshToken, AuthenticatedUser user)
      implements LoginResult {

    /** Without the tokens, so that a log line never carries them. */
    @Override
    public String toString() {
      return "Authenticated[user=" + user.userId() + ", session=" + user.sessionId() + "]";
    }
  }

  /** The password was right; the second factor comes next, sent with this challenge. */
  record SecondFactorRequired(String challenge) implements LoginResult {

    @Override
    public String toString() {
      return "SecondFactorRequired";
    }
  }
}
