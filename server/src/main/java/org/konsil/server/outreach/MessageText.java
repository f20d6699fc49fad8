package org.konsil.server.outreach;

import java.util.HashMap;
import java.util.Map;

/**
 * A bulk message filled in for one patient: only the macros of its channel get a value, and the
 * subject of an e-mail names the practice and nothing about the patient. An e-mail or SMS always
 * ends with its opt-out link.
 */
record MessageText(String subject, String text) {

  /** The longest SMS the SMS outbox takes. */
  static final int SMS_MAX = 480;

  static MessageText render(
      MessageTemplate template,
      CampaignStore.Practice practice,
      PatientContact patient,
      String optOutLink) {
    return render(template, practice, patient, optOutLink, Map.of());
  }

  /** As above, with an appointment's {@code appointment_date} and {@code appointment_time}. */
  static MessageText render(
      MessageTemplate template,
      CampaignStore.Practice practice,
      PatientContact patient,
      String optOutLink,
      Map<String, String> appointment) {
    boolean german = !"en".equals(template.language());
    Map<String, String> all = new HashMap<>();
    all.put("salutation", patient.postal().salutation());
    all.put("given_name", patient.givenName());
    all.put("family_name", patient.familyName());
    all.put("practice_name", practice.name());
    all.put("practice_phone", practice.phone());
    // a campaign has no appointment: its macros stay empty there
    all.putAll(appointment);
    all.put("opt_out_link", optOutLink);
    Map<String, String> values = new HashMap<>();
    for (String macro : Macros.BY_CHANNEL.get(template.channel())) {
      values.put(macro, all.get(macro));
    }
    String text = Macros.fill(template.body(), values);
    boolean linked = !"letter".equals(template.channel());
    if (linked
        && !Macros.MACRO
            .matcher(template.body())
            .results()
            .anyMatch(m -> m.group(1).equals("opt_out_link"))) {
      text +=
          (german
                  ? "\n\nKeine solchen Nachrichten mehr erhalten: "
                  : "\n\nTo receive no more such messages: ")
              + optOutLink;
    }
    if ("sms".equals(template.channel()) && text.length() > SMS_MAX) {
      // never cut the link: shorten the text before it
      String link = "\n" + optOutLink;
      String body = text.replace(optOutLink, "");
      text = body.substring(0, Math.max(0, SMS_MAX - link.length() - 1)).strip() + link;
    }
    String subject = null;
    if ("email".equals(template.channel()) || "letter".equals(template.channel())) {
      subject =
          template.subject() != null
              ? Macros.fill(template.subject(), Map.of("practice_name", practice.name()))
              : "email".equals(template.channel())
                  ? (german ? "Nachricht Ihrer Praxis " : "A message from ") + practice.name()
                  : null;
    }
    return new MessageText(subject, text);
  }
}
