package org.konsil.server.outreach;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.ApiException;

/**
 * What the recipient picker may filter a patient by besides ids and birthdays: the tags the
 * practice gave them and the day their recall is due (null: none). A patient without a profile has
 * no tags and no recall date.
 */
public record OutreachProfile(UUID patientId, List<String> tags, LocalDate recallDue) {

  /** The most tags one patient may have. */
  public static final int MAX_TAGS = 20;

  /** The longest tag, in characters, after trimming. */
  public static final int MAX_TAG_LENGTH = 40;

  public OutreachProfile {
    tags = List.copyOf(tags);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("patientId", patientId.toString())
        .put("tags", new JsonArray(new ArrayList<>(tags)))
        .put("recallDue", recallDue == null ? null : recallDue.toString());
  }

  /** The key a tag is compared by: the same tag in any capitalisation has the same key. */
  static String key(String tag) {
    return tag.toLowerCase(Locale.ROOT);
  }

  /**
   * The tags as they are stored: each trimmed, the first spelling of the same tag in any
   * capitalisation kept and the later ones dropped. Refused ({@code 422 validation_failed}, naming
   * the tag) when there are more than {@value #MAX_TAGS} or one is blank, longer than {@value
   * #MAX_TAG_LENGTH} characters, or holds a comma or a control character.
   */
  static List<String> normalise(List<String> given) {
    if (given.size() > MAX_TAGS) {
      throw ApiException.validation(
          "A patient may have at most " + MAX_TAGS + " tags; " + given.size() + " were given.");
    }
    Map<String, String> byKey = new LinkedHashMap<>();
    for (int i = 0; i < given.size(); i++) {
      String tag = checkTag("tags[" + i + "]", given.get(i));
      byKey.putIfAbsent(key(tag), tag);
    }
    return List.copyOf(byKey.values());
  }

  /** One tag, trimmed and checked; {@code field} names it in the refusal. */
  static String checkTag(String field, String raw) {
    String tag = raw.strip();
    if (tag.isEmpty()) {
      throw ApiException.validation("'" + field + "' is blank; a tag needs 1 to 40 characters.");
    }
    if (tag.codePointCount(0, tag.length()) > MAX_TAG_LENGTH) {
      throw ApiException.validation(
          "'" + field + "' is longer than " + MAX_TAG_LENGTH + " characters.");
    }
    if (tag.indexOf(',') >= 0 || tag.codePoints().anyMatch(Character::isISOControl)) {
      throw ApiException.validation("'" + field + "' may hold no comma and no control character.");
    }
    return tag;
  }

  /**
   * A day written {@code YYYY-MM-DD} from 1900 to 2999 that exists in the calendar; refused ({@code
   * 422 validation_failed}) otherwise.
   */
  static LocalDate date(String field, Object value) {
    if (value instanceof String text && text.matches("(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}")) {
      try {
        return LocalDate.parse(text);
      } catch (DateTimeParseException e) {
        // refused below
      }
    }
    throw ApiException.validation(
        "'" + field + "' must be a day of the calendar written like 2027-03-31.");
  }
}
