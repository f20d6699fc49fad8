package org.konsil.server.consent;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.konsil.server.organisations.Organisation;
import org.konsil.server.patients.Patient;
import org.konsil.server.pdf.PdfText;

/** The consent form a practice prints for the patient to sign, in German or English. */
final class ConsentTemplate {

  private ConsentTemplate() {}

  static byte[] render(
      Patient patient,
      Organisation owner,
      List<Organisation> partners,
      String lang,
      LocalDate today) {
    boolean german = !"en".equals(lang);
    DateTimeFormatter date = DateTimeFormatter.ofPattern(german ? "dd.MM.yyyy" : "yyyy-MM-dd");
    try (PdfText pdf = new PdfText()) {
      pdf.heading(
          german
              ? "Einwilligung in den Austausch von Gesundheitsdaten über Konsil"
              : "Consent to the exchange of health information through Konsil");
      pdf.subheading(german ? "Patientin / Patient" : "Patient");
      pdf.paragraph(patient.givenName() + " " + patient.familyName());
      pdf.paragraph(
          (german ? "Geburtsdatum: " : "Date of birth: ") + date.format(patient.birthDate()));
      if (patient.insuranceNumber() != null) {
        pdf.paragraph(
            (german ? "Versichertennummer: " : "Insurance number: ") + patient.insuranceNumber());
      }
      pdf.space(6).subheading(german ? "Behandelnde Einrichtung" : "Treating organisation");
      pdf.paragraph(describe(owner));
      pdf.space(6)
          .subheading(
              german
                  ? "Einrichtungen, mit denen Daten ausgetauscht werden dürfen"
                  : "Organisations with which information may be exchanged");
      if (partners.isEmpty()) {
        pdf.paragraph(german ? "(keine weiteren Einrichtungen)" : "(no other organisations)");
      }
      for (Organisation partner : partners) {
        pdf.paragraph("- " + describe(partner));
      }
      pdf.space(8);
      if (german) {
        pdf.paragraph(
            "Ich bin damit einverstanden, dass die oben genannte Einrichtung sich mit den aufgeführten"
                + " Einrichtungen über meine Behandlung und Pflege austauscht (Nachrichten, Befunde,"
                + " Bilder) und dass dafür der Messenger Konsil verwendet wird.");
        pdf.paragraph(
            "Meine Einwilligung ist freiwillig. Ich kann sie jederzeit ohne Angabe von Gründen mit"
                + " Wirkung für die Zukunft widerrufen. Nach einem Widerruf werden keine neuen"
                + " Nachrichten mehr ausgetauscht; bereits ausgetauschte Inhalte bleiben wegen der"
                + " Dokumentationspflicht gespeichert, werden aber nicht mehr angezeigt.");
      } else {
        pdf.paragraph(
            "I agree that the organisation named above exchanges information about my treatment"
                + " and care (messages, findings, images) with the organisations listed, using the"
                + " Konsil messenger.");
        pdf.paragraph(
            "My consent is voluntary. I can revoke it at any time, without giving reasons, with"
                + " effect for the future. After a revocation no new messages are exchanged;"
                + " what was exchanged before is kept because of the duty to document, but is no"
                + " longer shown.");
      }
      pdf.space(10)
          .signatureLine(german ? "Ort, Datum" : "Place, date")
          .signatureLine(
              german
                  ? "Unterschrift der Patientin / des Patienten oder der gesetzlichen Vertretung"
                  : "Signature of the patient or their legal representative")
          .space(12)
          .small(
              (german ? "Formular erstellt am " : "Form created on ")
                  + date.format(today)
                  + (german
                      ? ". Bitte unterschrieben in Konsil hochladen."
                      : ". Please upload the signed form to Konsil."));
      return pdf.toBytes();
    }
  }

  private static String describe(Organisation organisation) {
    StringBuilder text = new StringBuilder(organisation.name());
    if (organisation.street() != null) {
      text.append(", ").append(organisation.street());
    }
    if (organisation.city() != null) {
      text.append(", ");
      if (organisation.postalCode() != null) {
        text.append(organisation.postalCode()).append(' ');
      }
      text.append(organisation.city());
    }
    return text.toString();
  }
}
