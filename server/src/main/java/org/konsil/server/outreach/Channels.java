package org.konsil.server.outreach;

import java.util.List;
import org.konsil.server.http.ApiException;

/** The channels a practice reaches patients on. */
final class Channels {

  static final List<String> ALL = List.of("email", "sms", "letter");

  private Channels() {}

  static String require(String field, String value) {
    if (value == null || !ALL.contains(value)) {
      throw ApiException.validation("'" + field + "' must be one of email, sms, letter.");
    }
    return value;
  }
}
