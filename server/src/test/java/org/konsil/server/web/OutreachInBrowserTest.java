package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Mailbox;

/**
 * A practice records a patient's permission with the signed form and gives them tags and a recall
 * date, writes a template (a forbidden macro is refused by name), picks a patient by tag and then
 * all patients, sees in the review list who may not be written to and why, unticks them with one
 * click, sends, and follows the states; the patient unsubscribes with the link in the mail.
 */
class OutreachInBrowserTest {

  static final int SMTP_PORT = KonsilServer.freePort();

  @RegisterExtension
  @Order(1)
  static GreenMailExtension mail =
      new GreenMailExtension(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
          .withPerMethodLifecycle(false);

  @RegisterExtension
  @Order(2)
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_SMTP_HOST", "127.0.0.1")
          .with("KONSIL_SMTP_PORT", Integer.toString(SMTP_PORT))
          .with("KONSIL_SMTP_SECURITY", "none");

  static Browser browser;

  @AfterAll
  static void tearDown() {
    if (browser != null) {
      browser.close();
    }
  }

  static String patient(KonsilServer.Session anna, String family, String email) {
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/patients",
                new JsonObject()
                    .put("familyName", family)
                    .put("givenName", "Helga")
                    .put("birthDate", "1952-11-04")
                    .put("email", email),
                anna.accessToken());
    assertEquals(201, created.status(), created.body());
    return created.json().getString("id");
  }

  @Test
  void permissionReviewSendAndOptOut() throws Exception {
    KonsilServer.TestOrg practice = server.organisation("practice", "Praxis am Markt");
    KonsilServer.Session anna = server.login(practice.admin());
    String sommer = patient(anna, "Sommer", "helga.sommer@example.org");
    patient(anna, "Winter", "helga.winter@example.org");
    Path form = Files.createTempFile("einwilligung", ".pdf");
    Files.write(form, Documents.pdf().getBytes());

    browser = Browser.open(server);
    browser.login(practice.admin());

    // the patient's page: postal address and the permission with the signed form
    browser.visit("/#/patients/" + sommer);
    browser.type("#address-salutation", "Frau");
    browser.type("#address-street", "Lindenallee 5");
    browser.type("#address-postcode", "10115");
    browser.type("#address-city", "Berlin");
    browser.click("#address-save");
    browser.waitForText("#address-saved", "Gespeichert");
    browser.find("#grant-file").sendKeys(form.toAbsolutePath().toString());
    browser.js("document.getElementById('grant-channel-email').click()");
    browser.js("document.getElementById('grant-purpose-recall').click()");
    browser.click("#grant-save");
    browser.waitForText("#permission-rows", "erlaubt");
    browser.waitForText("#permission-history", "unterschriebenes Formular");
    browser.js("document.getElementById('patient-outreach').scrollIntoView()");
    browser.screenshot("contact-permissions");

    // an appointment on the same page, then cancelled
    browser.js("document.getElementById('appointment-date').value = '2030-05-06'");
    browser.js("document.getElementById('appointment-time').value = '09:30'");
    browser.click("#appointment-add");
    browser.waitForText("#appointment-rows", "Erinnerung ausstehend");
    browser.click("#appointment-rows [data-cancel]");
    browser.waitForText("#appointment-rows", "abgesagt");

    // tags and the recall date on the same page: the same tag twice is kept once
    browser.waitForText("#profile-current", "Merkmale: keine");
    browser.type("#profile-tags", " Vorsorge, Recall Herbst, vorsorge ");
    browser.js("document.getElementById('profile-recall-due').value = '2030-04-01'");
    browser.click("#profile-save");
    browser.waitForText("#profile-saved", "Gespeichert");
    String profile = browser.waitForText("#profile-current", "Vorsorge, Recall Herbst");
    assertTrue(profile.contains("01.04.2030"), profile);
    browser.js("document.getElementById('patient-outreach-profile').scrollIntoView()");
    browser.screenshot("outreach-profile");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM patient_outreach_profiles WHERE patient_id = '"
                + sommer
                + "' AND tags = ARRAY['Vorsorge', 'Recall Herbst'] AND recall_due = '2030-04-01'"));

    // a template: a forbidden macro is refused with its name, then a harmless one is saved
    browser.visit("/#/campaigns");
    browser.type("#template-name", "Recall");
    browser.type("#template-subject", "Ihre Praxis {{practice_name}}");
    browser.type(
        "#template-body", "Guten Tag {{salutation}} {{family_name}}, geboren {{birth_date}}");
    browser.click("#template-save");
    browser.waitForText("#template-error", "{{birth_date}}");
    browser.type(
        "#template-body",
        "Guten Tag {{salutation}} {{family_name}},\nbitte vereinbaren Sie einen Termin zur"
            + " Kontrolle.");
    browser.click("#template-save");
    browser.waitForText("#campaign-template", "Recall");

    // appointment reminders: off until the administrator turns them on with an e-mail template
    browser.waitForText("#reminder-state", "Aus");
    browser.waitForText("#reminder-template", "Recall");
    browser.js("document.getElementById('reminder-days').value = '2'");
    browser.click("#reminder-save");
    browser.waitForText("#reminder-state", "2 Tag(e) vor dem Termin");
    // appointments from a CSV: a wrong line stores nothing and is named, then a right file
    Path wrong = Files.createTempFile("termine", ".csv");
    Files.writeString(wrong, sommer + ";06.05.2030;10:15\nkeine-id;07.05.2030;11:00\n");
    browser.find("#appointment-csv").sendKeys(wrong.toAbsolutePath().toString());
    browser.waitForText("#appointment-csv-errors", "Zeile 2");
    Path right = Files.createTempFile("termine", ".csv");
    Files.writeString(right, sommer + ";06.05.2030;10:15\n");
    browser.find("#appointment-csv").sendKeys(right.toAbsolutePath().toString());
    browser.waitForText("#appointment-import-done", "1 Termin(e) übernommen");
    browser.js("document.getElementById('reminders').scrollIntoView()");
    browser.screenshot("appointment-reminders");
    assertEquals(
        2,
        server.count("SELECT count(*) FROM appointments WHERE patient_id = '" + sommer + "'"),
        "the one added on the patient's page and the imported one, not the refused file's");
    browser.type("#campaign-name", "Recall Herbst");
    browser.js("document.getElementById('campaign-purpose').value = 'recall'");
    browser.click("#campaign-create");

    // recipients by tag (in another capitalisation): only Sommer has it
    browser.type("#add-tag-name", "VORSORGE");
    browser.click("#add-tag");
    browser.waitForCount("#review-rows tr", 1);
    browser.waitForText("#review-rows tr[data-allowed=true]", "Sommer");
    browser.js("document.querySelector('.recipients-pick').scrollIntoView()");
    browser.screenshot("campaign-recipients");

    // the review list: all patients, one allowed, one without permission
    browser.click("#add-all");
    browser.waitForCount("#review-rows tr", 2);
    String winterRow = browser.waitForText("#review-rows tr[data-allowed=false]", "Winter");
    assertTrue(winterRow.contains("keine Erlaubnis"), winterRow);
    browser.click("#review-rows tr[data-allowed=true] [data-preview]");
    String preview = browser.waitForText("#preview", "Guten Tag Frau Sommer");
    assertTrue(!preview.contains("1952"), preview);
    browser.js("document.querySelector('.review').scrollIntoView()");
    browser.screenshot("campaign-review");
    browser.click("#untick-not-allowed");
    browser.waitForText("#review-count", "1 von 2 angehakt");
    browser.click("#campaign-send");
    browser.waitForText("#recipient-rows tr[data-state=sent]", "Sommer");
    browser.waitForText("#recipient-rows", "zugestellt");
    browser.screenshot("campaign-sent");

    // the patient unsubscribes with the link in the mail
    Matcher link =
        Pattern.compile("(http://localhost:\\d+/opt-out#[A-Za-z0-9_-]{43})")
            .matcher(Mailbox.firstTextTo(mail, "helga.sommer@example.org").replace("=\r\n", ""));
    assertTrue(link.find(), "the opt-out link in the mail");
    assertEquals(List.of(), Mailbox.to(mail, "helga.winter@example.org"));
    browser.forgetSession();
    browser.driver().get(link.group(1));
    browser.waitForText("#optout", "keine Nachrichten mehr");
    browser.screenshot("opt-out");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM contact_permissions WHERE source = 'opt_out_link' AND patient_id = '"
                + sommer
                + "'"));
    assertEquals(List.of(), browser.consoleErrors(), "no script errors or refused loads");
  }
}
