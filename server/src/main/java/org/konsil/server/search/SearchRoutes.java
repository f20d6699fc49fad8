package org.konsil.server.search;

import io.vertx.ext.web.Router;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;

/** The search route: {@code GET /search?q=...}. */
public final class SearchRoutes {

  private final SearchService search;

  public SearchRoutes(SearchService search) {
    this.search = search;
  }

  /** Adds this feature's routes to the API router (below /api/v1). */
  public void mount(Router router) {
    RouteTable.query(router.get("/search"), "q")
        .respond(
            ctx ->
                search
                    .search(AuthenticatedUser.of(ctx), ctx.queryParams().get("q"))
                    .map(SearchResults::toJson));
  }
}
