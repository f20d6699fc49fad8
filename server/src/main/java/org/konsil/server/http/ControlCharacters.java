package org.konsil.server.http;

import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Refuses a request whose query parameters carry control characters (U+0000 to U+001F and U+007F)
 * before any work is done: PostgreSQL cannot store U+0000, and no text the API takes from a query
 * (a search, a file name, a date) has a use for the others. Path parameters are ids, parsed as such
 * by their routes.
 */
public final class ControlCharacters {

  private ControlCharacters() {}

  public static void refuse(RoutingContext ctx) {
    MultiMap params;
    try {
      params = ctx.queryParams();
    } catch (RuntimeException malformed) {
      ctx.fail(ApiException.validation("The query string is not well-formed."));
      return;
    }
    for (Map.Entry<String, String> param : params) {
      if (hasControl(param.getKey()) || hasControl(param.getValue())) {
        ctx.fail(
            ApiException.validation(
                "Query parameter '"
                    + printable(param.getKey())
                    + "' contains a control character."));
        return;
      }
    }
    ctx.next();
  }

  /** True when the text holds a character from U+0000 to U+001F, or U+007F. */
  public static boolean hasControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return true;
      }
    }
    return false;
  }

  private static String printable(String name) {
    StringBuilder shown = new StringBuilder();
    name.codePoints()
        .limit(100)
        .forEach(c -> shown.append(c < 0x20 || c == 0x7f ? "?" : Character.toString(c)));
    return shown.toString();
  }
}
