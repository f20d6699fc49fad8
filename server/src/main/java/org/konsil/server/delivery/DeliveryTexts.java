package org.konsil.server.delivery;

import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.konsil.server.notifications.MailMessage;

/**
 * The texts that leave for a delivery, in German and English. They carry the sending organisation's
 * name, a link or a code, and nothing about the patient or the document.
 */
final class DeliveryTexts {

  private static final DateTimeFormatter DAY =
      DateTimeFormatter.ofPattern("dd.MM.yyyy").withZone(ZoneId.of("Europe/Berlin"));

  private DeliveryTexts() {}

  static MailMessage linkMail(
      String to, String organisation, String link, String verification, OffsetDateTime expires) {
    String[] asks =
        switch (verification) {
          case "birth_date" -> new String[] {"Ihr Geburtsdatum", "your date of birth"};
          case "insurance_number" ->
              new String[] {"Ihre Versichertennummer", "your health insurance number"};
          case "sms_code" ->
              new String[] {
                "den Code aus der SMS, die Sie gleich erhalten",
                "the code from the text message you will receive"
              };
          default -> new String[] {"nichts weiter", "nothing more"};
        };
    String day = DAY.format(expires);
    String text =
        organisation
            + " hat Ihnen ein Dokument sicher bereitgestellt.\n\n"
            + "Öffnen Sie es hier (gültig bis "
            + day
            + "):\n"
            + link
            + "\n\nZum Öffnen brauchen Sie "
            + asks[0]
            + ". Der Link kann einmal verwendet werden.\n\n"
            + "---\n\n"
            + organisation
            + " has sent you a document securely.\n\n"
            + "Open it here (valid until "
            + day
            + "):\n"
            + link
            + "\n\nTo open it you need "
            + asks[1]
            + ". The link can be used once.\n";
    return new MailMessage(to, "Ein Dokument für Sie / A document for you – " + organisation, text);
  }

  static String codeSms(String organisation, String code) {
    return "Ihr Code / Your code: " + code + " (" + organisation + ", Konsil)";
  }

  static MailMessage lockedMail(String to, String publicUrl) {
    return new MailMessage(
        to,
        "Konsil: Download-Link gesperrt / Download link locked",
        "Ein Link zu einem Dokument, das Sie sicher versandt haben, wurde nach fünf falschen"
            + " Eingaben gesperrt. Auf der Seite der Patientin/des Patienten in Konsil können Sie"
            + " einen neuen Link senden.\n\n"
            + "A link to a document you sent securely was locked after five wrong entries. You"
            + " can send a new link from the patient's page in Konsil.\n\n"
            + publicUrl
            + "\n");
  }
}
