package org.konsil.server.invitations;

import java.util.Locale;
import org.konsil.fax.FaxNumber;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.organisations.Organisation;

/** A partner organisation that is not on Konsil yet, with where to reach it. */
public record InviteeRequest(
    String name, String kind, String email, FaxNumber fax, String language) {

  /** Reads and checks one entry of a room request's {@code invitations}. */
  public static InviteeRequest from(Json json) {
    String name = json.requiredText("name", 200).trim();
    String kind = json.requiredText("kind", 30);
    if (!Organisation.KINDS.contains(kind)) {
      throw ApiException.validation(
          "'kind' must be one of " + String.join(", ", Organisation.KINDS) + ".");
    }
    String email = json.optionalText("email", 254);
    if (email != null) {
      email = email.trim().toLowerCase(Locale.ROOT);
      if (!Json.isEmail(email)) {
        throw ApiException.validation("'email' must be an e-mail address.");
      }
    }
    String faxText = json.optionalText("fax", 40);
    FaxNumber fax = null;
    if (faxText != null) {
      try {
        fax = FaxNumber.parse(faxText);
      } catch (FaxNumber.InvalidFaxNumberException e) {
        throw new ApiException(422, e.code(), e.getMessage());
      }
    }
    if (email == null && fax == null) {
      throw ApiException.validation("An invitation needs an 'email' or a 'fax' number.");
    }
    String language = json.optionalText("language", 2);
    if (language == null) {
      language = "de";
    }
    if (!language.equals("de") && !language.equals("en")) {
      throw ApiException.validation("'language' must be de or en.");
    }
    return new InviteeRequest(name, kind, email, fax, language);
  }
}
