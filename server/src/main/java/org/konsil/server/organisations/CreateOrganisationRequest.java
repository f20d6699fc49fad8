package org.konsil.server.organisations;

import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;

/** An organisation with its first administrator, as an operator creates it. */
public record CreateOrganisationRequest(
    String kind,
    String name,
    String street,
    String postalCode,
    String city,
    String email,
    String fax,
    String adminEmail,
    String adminName) {

  public CreateOrganisationRequest {
    if (kind == null || !Organisation.KINDS.contains(kind)) {
      throw ApiException.validation(
          "'kind' must be one of " + String.join(", ", Organisation.KINDS) + ".");
    }
    if (name == null || name.isBlank() || name.length() > 200) {
      throw ApiException.validation("'name' is required (at most 200 characters).");
    }
    if (adminEmail == null || !Json.isEmail(adminEmail.trim())) {
      throw ApiException.validation("'adminEmail' must be an e-mail address.");
    }
    if (adminName == null || adminName.isBlank() || adminName.length() > 200) {
      throw ApiException.validation("'adminName' is required (at most 200 characters).");
    }
    if (email != null && !email.isBlank() && !Json.isEmail(email.trim())) {
      throw ApiException.validation("'email' must be an e-mail address.");
    }
    name = name.trim();
    adminEmail = adminEmail.trim().toLowerCase(java.util.Locale.ROOT);
    adminName = adminName.trim();
  }
}
