package org.konsil.server.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;

/** REST route for an organisation's administrators to read their organisation's audit trail. */
public final class AuditRoutes {

  private final AuditLog audit;

  public AuditRoutes(AuditLog audit) {
    this.audit = audit;
  }

  public void mount(Router router) {
    RouteTable.query(router.get("/audit-events"), "before", "limit").respond(this::list);
  }

  private Future<?> list(RoutingContext ctx) {
    AuthenticatedUser admin = AuthenticatedUser.of(ctx).requireAdmin();
    Long before = null;
    String reference = ctx.queryParams().get("before");
    if (reference != null) {
      before =
          audit
              .eventIdOf(reference)
              .orElseThrow(
                  () ->
                      ApiException.validation(
                          "'before' must be the id of an event from this list."));
    }
    int limit = 100;
    try {
      String rawLimit = ctx.queryParams().get("limit");
      if (rawLimit != null) {
        limit = Integer.parseInt(rawLimit);
      }
    } catch (NumberFormatException e) {
      throw ApiException.validation("'limit' must be a whole number.");
    }
    if (limit < 1 || limit > 500) {
      throw ApiException.validation("'limit' must be between 1 and 500.");
    }
    return audit
        .list(admin.organisationId(), before, limit)
        .map(entries -> new JsonArray(entries.stream().map(AuditEntry::toJson).toList()));
  }
}
