package org.konsil.server.patients;

import java.util.Locale;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;

/**
 * A patient's e-mail address and mobile number as typed, checked and normalised: the address
 * lower-cased, the number in E.164 ({@code 0170 1234567} becomes {@code +491701234567}). Bad input
 * is refused with its own problem code, {@code invalid_email} or {@code invalid_mobile}.
 */
public final class ContactDetails {

  /** The country code a national number (leading single 0) belongs to. */
  private static final String HOME_COUNTRY = "49";

  private ContactDetails() {}

  /** The address trimmed and lower-cased; null for null or blank. */
  public static String email(String field, String typed) {
    if (typed == null || typed.isBlank()) {
      return null;
    }
    String email = typed.trim();
    if (email.length() > 254 || !Json.isEmail(email)) {
      throw new ApiException(
          422, "invalid_email", "'" + field + "' is not an e-mail address like name@example.org.");
    }
    return email.toLowerCase(Locale.ROOT);
  }

  /**
   * The number in E.164; null for null or blank. Spaces, hyphens, slashes, dots and brackets are
   * dropped; {@code 00} becomes {@code +}; a leading single {@code 0} is a German national number.
   * A German number must be a mobile number (+491...), since only those take SMS.
   */
  public static String mobile(String field, String typed) {
    if (typed == null || typed.isBlank()) {
      return null;
    }
    String digits = typed.trim().replaceAll("[\\s\\-/.()]", "");
    if (digits.startsWith("00")) {
      digits = "+" + digits.substring(2);
    } else if (digits.startsWith("0")) {
      digits = "+" + HOME_COUNTRY + digits.substring(1);
    }
    // "+49 (0)170 ..." is a common German way of writing it; the 0 belongs to no E.164 number
    if (digits.startsWith("+" + HOME_COUNTRY + "0")) {
      digits = "+" + HOME_COUNTRY + digits.substring(HOME_COUNTRY.length() + 2);
    }
    if (!digits.matches("\\+[1-9][0-9]{6,14}")
        || (digits.startsWith("+" + HOME_COUNTRY)
            && !digits.startsWith("+" + HOME_COUNTRY + "1"))) {
      throw new ApiException(
          422,
          "invalid_mobile",
          "'" + field + "' is not a mobile number like 0170 1234567 or +49 170 1234567.");
    }
    return digits;
  }
}
