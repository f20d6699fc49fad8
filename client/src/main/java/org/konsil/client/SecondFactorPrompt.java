package org.konsil.client;

import io.vertx.core.Future;

/**
 * Asked for a code when the server wants the second factor at login: six digits from the user's
 * authenticator app, or one of their recovery codes.
 */
@FunctionalInterface
public interface SecondFactorPrompt {

  Future<String> code();

  /** For users without a second factor: a login that asks for one fails. */
  SecondFactorPrompt NONE =
      () ->
          Future.failedFuture(
              new IllegalStateException("The server asks for a second factor; pass a prompt"));
}
