package org.konsil.server.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a router's routes take, looked up by path: the methods of a path (the {@code Allow} header
 * of a 405) and the query parameters of a route, which a route declares with {@link #query}.
 */
public final class RouteTable {

  private static final String QUERY = "konsil.query";

  private final Router router;
  private final String mountPoint;
  private volatile List<Entry> entries;

  /** One route with a path and methods. */
  private record Entry(Pattern path, Set<HttpMethod> methods, Set<String> query) {}

  /** The routes of the router, mounted at the mount point ("" for a root router). */
  public RouteTable(Router router, String mountPoint) {
    this.router = router;
    this.mountPoint = mountPoint;
  }

  /** Declares the query parameters a route takes; a route that declares none takes none. */
  public static Route query(Route route, String... names) {
    return route.putMetadata(QUERY, Set.of(names));
  }

  /**
   * Refuses a query parameter that the route of the request does not take with {@code 422
   * validation_failed}, before any work is done. A request no route takes goes on to {@link
   * #notFound}.
   */
  public void refuseUnknownQuery(RoutingContext ctx) {
    String path = relative(ctx.normalizedPath());
    HttpMethod method = ctx.request().method();
    Set<String> taken = null;
    for (Entry entry : entries()) {
      if (entry.methods().contains(method) && entry.path().matcher(path).matches()) {
        taken = entry.query();
        break;
      }
    }
    if (taken != null) {
      for (String name : new TreeSet<>(ctx.queryParams().names())) {
        if (!taken.contains(name)) {
          ctx.fail(
              ApiException.validation(
                  "Unknown query parameter '"
                      + (name.length() > 100 ? name.substring(0, 100) + "..." : name)
                      + "'"
                      + (taken.isEmpty()
                          ? "; this route takes none"
                          : "; this route takes " + String.join(", ", new TreeSet<>(taken)))
                      + "."));
          return;
        }
      }
    }
    ctx.next();
  }

  /**
   * The last route: a path that a route takes with other methods answers {@code 405} with {@code
   * Allow}, any other {@code 404}.
   */
  public void notFound(RoutingContext ctx) {
    if (!allowHeader(ctx)) {
      ctx.fail(404);
      return;
    }
    ctx.fail(405);
  }

  /**
   * Sets {@code Allow} to the methods that the routes take for the request's path; false when none
   * does.
   */
  public boolean allowHeader(RoutingContext ctx) {
    Set<HttpMethod> methods = methods(relative(ctx.normalizedPath()));
    if (methods.isEmpty()) {
      return false;
    }
    ctx.response()
        .putHeader(
            "Allow",
            methods.stream().map(HttpMethod::name).sorted().collect(Collectors.joining(", ")));
    return true;
  }

  /** The methods the routes take for a path below the mount point. */
  public Set<HttpMethod> methods(String path) {
    Set<HttpMethod> methods = new TreeSet<>((a, b) -> a.name().compareTo(b.name()));
    for (Entry entry : entries()) {
      if (entry.path().matcher(path).matches()) {
        methods.addAll(entry.methods());
      }
    }
    return methods;
  }

  private String relative(String path) {
    String below = path.startsWith(mountPoint) ? path.substring(mountPoint.length()) : path;
    if (below.length() > 1 && below.endsWith("/")) {
      below = below.substring(0, below.length() - 1);
    }
    return below.isEmpty() ? "/" : below;
  }

  // Read on first use: by then every feature has mounted its routes.
  private List<Entry> entries() {
    List<Entry> read = entries;
    if (read == null) {
      read = new ArrayList<>();
      for (Route route : router.getRoutes()) {
        if (route.getPath() == null
            || route.isRegexPath()
            || route.methods() == null
            || route.methods().isEmpty()) {
          continue;
        }
        Object query = route.metadata().get(QUERY);
        @SuppressWarnings("unchecked")
        Set<String> names = query instanceof Set<?> set ? (Set<String>) set : Set.of();
        read.add(new Entry(pattern(route), Set.copyOf(route.methods()), names));
      }
      entries = List.copyOf(read);
    }
    return read;
  }

  /** Path parameters (":roomId") take one segment; a path ending in "*" takes everything below. */
  private static Pattern pattern(Route route) {
    String path = route.getPath();
    StringBuilder regex = new StringBuilder();
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty()) {
        continue;
      }
      regex.append('/');
      regex.append(segment.startsWith(":") ? "[^/]+" : Pattern.quote(segment));
    }
    if (!route.isExactPath()) {
      regex.append("(?:/.*)?");
    }
    return Pattern.compile(regex.length() == 0 ? "/?" : regex.toString());
  }
}
