package org.konsil.server.accounts;

import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import org.konsil.server.http.ApiException;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * Route handler that lets a request through only with a valid bearer access token of a live
 * session; a user whose organisation requires a second factor may only enrol one until they have.
 */
public final class Authenticator {

  private static final Set<String> ENROLMENT_PATHS =
      Set.of(
          "/api/v1/me",
          "/api/v1/me/second-factor",
          "/api/v1/me/second-factor/confirm",
          "/api/v1/auth/logout");

  /** The only API paths that need no access token. */
  private static final Set<String> PUBLIC_PATHS =
      Set.of(
          "/api/v1/auth/login",
          "/api/v1/auth/second-factor",
          "/api/v1/auth/refresh",
          "/api/v1/auth/set-password",
          "/api/v1/registrations",
          "/api/v1/fax-callbacks",
          // the download page of a secure delivery: the link's secret is the credential
          "/api/v1/delivery-links/open",
          "/api/v1/delivery-links/download",
          "/api/v1/opt-outs");

  /** Below this the patients' mailbox API checks patient sessions itself. */
  private static final String PATIENT_MAILBOX = "/api/v1/mailbox/";

  private final SessionService sessions;

  public Authenticator(SessionService sessions) {
    this.sessions = sessions;
  }

  public void handle(RoutingContext ctx) {
    String path = withoutTrailingSlash(ctx.request().path());
    String normalized = ctx.normalizedPath();
    // the patient mailbox authenticates its own (patient) sessions; staff tokens count nothing
    // there
    if (PUBLIC_PATHS.contains(path) || normalized.startsWith(PATIENT_MAILBOX)) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.fail(
          ApiException.unauthenticated("Send an access token as 'Authorization: Bearer ...'."));
      return;
    }
    sessions
        .authenticate(header.substring(7).trim())
        .onSuccess(
            user -> {
              if (user.mustEnrolSecondFactor() && !ENROLMENT_PATHS.contains(path)) {
                ctx.fail(
                    ApiException.forbidden(
                        "second_factor_enrolment_required",
                        "Your organisation requires a second factor; set it up first."));
                return;
              }
              ctx.put(AuthenticatedUser.CONTEXT_KEY, user);
              ctx.next();
            })
        .onFailure(ctx::fail);
  }

  private static String withoutTrailingSlash(String path) {
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
