package org.konsil.server.outreach;

import io.vertx.sqlclient.templates.RowMapper;
import java.util.UUID;
import org.konsil.server.http.Json;
import org.konsil.server.patients.PostalAddress;

/** What a bulk message may use of a patient: the name, salutation and the channel's address. */
record PatientContact(
    UUID id,
    String familyName,
    String givenName,
    String email,
    String mobile,
    PostalAddress postal) {

  static final RowMapper<PatientContact> MAPPER =
      row ->
          new PatientContact(
              row.getUUID("id"),
              row.getString("family_name"),
              row.getString("given_name"),
              row.getString("email"),
              row.getString("mobile"),
              new PostalAddress(
                  row.getString("salutation"),
                  row.getString("street"),
                  row.getString("postcode"),
                  row.getString("city")));

  /** The address of the channel as one text (letters: lines), or null when there is none. */
  String address(String channel) {
    return switch (channel) {
      case "email" -> email;
      case "sms" -> mobile;
      default ->
          postal.present()
              ? (postal.salutation() == null ? "" : postal.salutation() + "\n")
                  + givenName
                  + " "
                  + familyName
                  + "\n"
                  + postal.street()
                  + "\n"
                  + postal.postcode()
                  + " "
                  + postal.city()
              : null;
    };
  }

  /** Whether the channel's address can carry a message. */
  boolean validAddress(String channel) {
    return switch (channel) {
      case "email" -> email != null && email.length() <= 254 && Json.isEmail(email);
      case "sms" -> mobile != null && mobile.replace(" ", "").matches("\\+[1-9][0-9]{6,14}");
      default -> postal.valid();
    };
  }

  /**
   * Whether a message on the channel for the purpose may go to this patient, from the newest
   * permission entry (null: never granted); the reason when not.
   */
  String refusal(String channel, ContactPermission newest) {
    if (newest == null) {
      return "no_permission";
    }
    if (!"granted".equals(newest.kind())) {
      return newest.status();
    }
    if (address(channel) == null) {
      return "no_address";
    }
    if (!validAddress(channel)) {
      return "invalid_address";
    }
    return null;
  }
}
