package org.konsil.server.mailbox;

import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;

/** Base64 fields of the mailbox API: keys, ciphertexts and signatures. */
final class MailboxJson {

  private MailboxJson() {}

  static String b64(byte[] bytes) {
    return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
  }

  /** A required base64 field of {@code min} to {@code max} decoded bytes. */
  static byte[] bytes(Json body, String field, int min, int max) {
    String text = body.requiredText(field, (max / 3 + 2) * 4);
    return decode(field, text, min, max);
  }

  static byte[] decode(String field, String text, int min, int max) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.validation("'" + field + "' must be base64.");
    }
    if (bytes.length < min || bytes.length > max) {
      throw ApiException.validation("'" + field + "' must hold " + min + " to " + max + " bytes.");
    }
    return bytes;
  }

  /** A list of base64 ciphertexts, each up to {@code max} bytes, at most {@code maxItems}. */
  static List<byte[]> list(Json body, String field, int maxItems, int max) {
    Object value = body.raw().getValue(field);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array) || array.size() > maxItems) {
      throw ApiException.validation(
          "'" + field + "' must be a list of at most " + maxItems + " base64 strings.");
    }
    List<byte[]> items = new ArrayList<>();
    for (Object item : array) {
      if (!(item instanceof String text)) {
        throw ApiException.validation("'" + field + "' must hold base64 strings.");
      }
      items.add(decode(field, text, 28, max));
    }
    return items;
  }
}
