package org.konsil.server.delivery;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * A verification value as typed, in the one form that goes into the key: a birth date as {@code
 * YYYY-MM-DD} (also typed as {@code 23.04.1950}), an insurance number upper-case without spaces, an
 * SMS code as its six digits. A value that cannot be one is null: it counts as a wrong try.
 */
final class VerificationValue {

  private VerificationValue() {}

  static String normalise(String verification, String typed) {
    if (verification.equals("none")) {
      return "";
    }
    if (typed == null) {
      return null;
    }
    String text = typed.strip();
    return switch (verification) {
      case "birth_date" -> birthDate(text);
      case "insurance_number" -> {
        String number = text.replaceAll("\\s", "").toUpperCase(Locale.ROOT);
        yield number.matches("[A-Z0-9]{5,30}") ? number : null;
      }
      case "sms_code" -> {
        String digits = text.replaceAll("[\\s-]", "");
        yield digits.matches("[0-9]{6}") ? digits : null;
      }
      case "none" -> "";
      default -> null;
    };
  }

  private static String birthDate(String text) {
    String iso = text;
    java.util.regex.Matcher german =
        java.util.regex.Pattern.compile("(\\d{1,2})\\.(\\d{1,2})\\.(\\d{4})").matcher(text);
    if (german.matches()) {
      iso =
          String.format(
              "%s-%02d-%02d",
              german.group(3),
              Integer.parseInt(german.group(2)),
              Integer.parseInt(german.group(1)));
    }
    try {
      return LocalDate.parse(iso).toString();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
