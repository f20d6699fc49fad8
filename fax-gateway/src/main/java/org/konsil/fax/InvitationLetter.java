package org.konsil.fax;

import java.time.LocalDate;

/**
 * What an invitation says: who invites, to where, with which single-use code until when. By design
 * it has no field for patient data.
 */
public record InvitationLetter(
    String invitingOrganisation,
    String recipientOrganisation,
    String registrationUrl,
    String code,
    LocalDate expiresOn,
    String language) {

  public InvitationLetter {
    if (!"de".equals(language) && !"en".equals(language)) {
      throw new IllegalArgumentException("language must be de or en");
    }
  }

  public boolean german() {
    return "de".equals(language);
  }
}
