package org.konsil.server.identity;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.konsil.server.http.ApiException;

/** Who is calling: a logged-in user in an active organisation, within a live session. */
public record AuthenticatedUser(
    UUID userId,
    UUID sessionId,
    UUID organisationId,
    String organisationName,
    String email,
    String displayName,
    String role,
    boolean secondFactorEnabled,
    boolean secondFactorRequired,
    java.time.OffsetDateTime sessionExpiresAt,
    boolean notifyByEmail) {

  public static final String CONTEXT_KEY = "konsil.user";

  public static AuthenticatedUser of(RoutingContext ctx) {
    AuthenticatedUser user = ctx.get(CONTEXT_KEY);
    if (user == null) {
      throw ApiException.unauthenticated("Log in first.");
    }
    return user;
  }

  public boolean isAdmin() {
    return "admin".equals(role);
  }

  /** The organisation asks for a second factor and this user has not enrolled one yet. */
  public boolean mustEnrolSecondFactor() {
    return secondFactorRequired && !secondFactorEnabled;
  }

  public AuthenticatedUser requireAdmin() {
    if (!isAdmin()) {
      throw ApiException.forbidden(
          "admin_required", "Only an administrator of your organisation may do this.");
    }
    return this;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", userId.toString())
        .put("email", email)
        .put("displayName", displayName)
        .put("role", role)
        .put(
            "organisation",
            new JsonObject().put("id", organisationId.toString()).put("name", organisationName))
        .put("secondFactorEnabled", secondFactorEnabled)
        .put("secondFactorRequired", secondFactorRequired)
        .put("notifyByEmail", notifyByEmail);
  }
}
