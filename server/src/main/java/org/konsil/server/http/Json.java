package org.konsil.server.http;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Reads and checks JSON input, from REST bodies and WebSocket frames alike, refusing bad input with
 * a {@code validation_failed} that names the field.
 */
public final class Json {

  private final JsonObject object;

  private Json(JsonObject object) {
    this.object = object;
  }

  public static Json of(JsonObject object) {
    return new Json(object);
  }

  /** The request body as a JSON object, or a {@code malformed_json} refusal. */
  public static Json body(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    return parse(text);
  }

  public static Json parse(String text) {
    if (text == null || text.isBlank()) {
      throw ApiException.malformedJson();
    }
    try {
      Object value = io.vertx.core.json.Json.decodeValue(text);
      if (value instanceof JsonObject json) {
        refuseNul(json);
        return new Json(json);
      }
    } catch (DecodeException | ClassCastException e) {
      throw ApiException.malformedJson();
    }
    throw ApiException.malformedJson();
  }

  /**
   * Refuses U+0000 anywhere in the input, keys included: PostgreSQL cannot store it in text, and no
   * field has a use for it.
   */
  private static void refuseNul(Object value) {
    if (value instanceof String text) {
      if (text.indexOf('\u0000') >= 0) {
        throw ApiException.validation("Text must not contain the NUL character (U+0000).");
      }
    } else if (value instanceof JsonObject json) {
      for (var entry : json) {
        refuseNul(entry.getKey());
        refuseNul(entry.getValue());
      }
    } else if (value instanceof JsonArray array) {
      for (Object item : array) {
        refuseNul(item);
      }
    }
  }

  public JsonObject raw() {
    return object;
  }

  public String requiredText(String field, int maxLength) {
    String value = optionalText(field, maxLength);
    if (value == null || value.isBlank()) {
      throw ApiException.validation("'" + field + "' is required.");
    }
    return value;
  }

  public String optionalText(String field, int maxLength) {
    Object value = object.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw ApiException.validation("'" + field + "' must be a string.");
    }
    if (text.length() > maxLength) {
      throw ApiException.validation(
          "'" + field + "' must be at most " + maxLength + " characters long.");
    }
    return text;
  }

  public String requiredEmail(String field) {
    String value = requiredText(field, 254).trim();
    if (!isEmail(value)) {
      throw ApiException.validation("'" + field + "' must be an e-mail address.");
    }
    return value.toLowerCase(Locale.ROOT);
  }

  public UUID requiredUuid(String field) {
    UUID value = optionalUuid(field);
    if (value == null) {
      throw ApiException.validation("'" + field + "' is required.");
    }
    return value;
  }

  public UUID optionalUuid(String field) {
    Object value = object.getValue(field);
    if (value == null) {
      return null;
    }
    return uuid(field, value);
  }

  public long requiredLong(String field, long min, long max) {
    Object value = object.getValue(field);
    if (!(value instanceof Number number)) {
      throw ApiException.validation("'" + field + "' must be a whole number.");
    }
    // Compared exactly: longValue() of a BigInteger or a large double wraps or saturates silently.
    BigDecimal exact;
    try {
      exact = new BigDecimal(number.toString());
    } catch (NumberFormatException infinite) {
      throw ApiException.validation("'" + field + "' must be a whole number.");
    }
    if (exact.signum() != 0 && exact.stripTrailingZeros().scale() > 0) {
      throw ApiException.validation("'" + field + "' must be a whole number.");
    }
    if (exact.compareTo(BigDecimal.valueOf(min)) < 0
        || exact.compareTo(BigDecimal.valueOf(max)) > 0) {
      throw ApiException.validation("'" + field + "' must be between " + min + " and " + max + ".");
    }
    return exact.longValueExact();
  }

  public Boolean optionalBoolean(String field) {
    Object value = object.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Boolean flag)) {
      throw ApiException.validation("'" + field + "' must be true or false.");
    }
    return flag;
  }

  public List<UUID> uuidList(String field, int maxItems) {
    Object value = object.getValue(field);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiException.validation("'" + field + "' must be a list of ids.");
    }
    if (array.size() > maxItems) {
      throw ApiException.validation("'" + field + "' may hold at most " + maxItems + " ids.");
    }
    List<UUID> ids = new ArrayList<>();
    for (Object item : array) {
      UUID id = uuid(field, item);
      if (!ids.contains(id)) {
        ids.add(id);
      }
    }
    return ids;
  }

  public static UUID uuid(String field, Object value) {
    if (value instanceof String text) {
      try {
        if (text.length() == 36) {
          return UUID.fromString(text);
        }
      } catch (IllegalArgumentException e) {
        // falls through to the refusal below
      }
    }
    throw ApiException.validation("'" + field + "' must be a UUID.");
  }

  public static boolean isEmail(String value) {
    int at = value.indexOf('@');
    return at > 0
        && at == value.lastIndexOf('@')
        && value.indexOf('.', at) > at + 1
        && !value.endsWith(".")
        && value.chars().noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c));
  }
}
