package org.konsil.server.outreach;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.konsil.server.http.ApiException;

/**
 * The macros of a bulk message: {@code {{name}}} placeholders of which only harmless ones exist
 * (the patient's salutation and name, the practice's name and phone, an appointment's date and
 * time, and the opt-out link). Treatment data, birth date, profession, insurance number and the
 * patient's addresses are no macros at all; a template naming anything else is refused when it is
 * saved, with the macro named.
 */
final class Macros {

  static final Pattern MACRO = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*\\}\\}");

  /** The macros each channel fills; a letter has no link, every channel the harmless rest. */
  static final Map<String, Set<String>> BY_CHANNEL =
      Map.of(
          "email",
          Set.of(
              "salutation",
              "given_name",
              "family_name",
              "practice_name",
              "practice_phone",
              "appointment_date",
              "appointment_time",
              "opt_out_link"),
          "sms",
          Set.of(
              "salutation",
              "family_name",
              "practice_name",
              "practice_phone",
              "appointment_date",
              "appointment_time",
              "opt_out_link"),
          "letter",
          Set.of(
              "salutation",
              "given_name",
              "family_name",
              "practice_name",
              "practice_phone",
              "appointment_date",
              "appointment_time"));

  /** What a subject line may name: nothing about the patient. */
  static final Set<String> SUBJECT = Set.of("practice_name");

  static final List<String> ALL =
      List.of(
          "salutation",
          "given_name",
          "family_name",
          "practice_name",
          "practice_phone",
          "appointment_date",
          "appointment_time",
          "opt_out_link");

  private Macros() {}

  /** Refuses a text with a macro outside the allowed set, naming the first such macro. */
  static void check(String field, String text, Set<String> allowed, String channel) {
    Matcher m = MACRO.matcher(text);
    while (m.find()) {
      String name = m.group(1);
      if (!allowed.contains(name)) {
        String why =
            ALL.contains(name)
                ? "is not available in " + ("subject".equals(field) ? "a subject" : "a " + channel)
                : "is not available in messages to many patients";
        throw new ApiException(
            422,
            "forbidden_macro",
            "The macro {{" + name + "}} in '" + field + "' " + why + ".",
            null,
            new JsonObject().put("macro", name).put("field", field));
      }
    }
    String rest = m.replaceAll("");
    if (rest.contains("{{") || rest.contains("}}")) {
      throw ApiException.validation(
          "'" + field + "' has '{{' or '}}' that is not part of a macro like {{given_name}}.");
    }
  }

  /** Fills the macros of a checked text; a value the channel does not have stays empty. */
  static String fill(String text, Map<String, String> values) {
    Matcher m = MACRO.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(value == null ? "" : value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
