package org.konsil.client.http;

/**
 * The answer to the password: logged in ({@code account}), or the server wants the second factor
 * ({@code challenge} for {@link KonsilHttp#completeSecondFactor}, valid 5 minutes).
 */
public record LoginStep(Account account, String challenge) {

  public boolean secondFactorRequired() {
    return challenge != null;
  }
}
