package org.konsil.server.mailbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.mailbox.MailboxActors.Draft;
import org.konsil.server.mailbox.MailboxActors.Opened;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.Mailbox;
import org.konsil.server.testkit.Waiting;

/**
 * The mailbox in Chromium with WebCrypto: the practice invites a patient from the patient's page,
 * the patient registers from the link in the e-mail, reads a message with an attachment (made by
 * the Java implementation of the scheme), answers, and the staff member reads the answer in her
 * browser; the Java implementation opens and verifies what the browser wrote.
 */
class MailboxInBrowserTest {

  static final int SMTP_PORT = KonsilServer.freePort();
  static final Pattern LINK = Pattern.compile("/mailbox#register=([A-Za-z0-9_-]{43})");

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

  @Test
  void aPatientRegistersFromTheMailReadsTheFindingAndAnswersAndTheDoctorReadsTheAnswer()
      throws Exception {
    TestOrg practice = server.organisation("practice", "Praxis Dr. Weber");
    Session anna = server.login(practice.admin());
    KonsilServer.TestUser bobUser = server.user(practice, "Bob Brandt");
    Session bob = server.login(bobUser);
    new MailboxActors.Staff(server, bob).withKey();
    UUID patient = server.patient(anna, "Lindqvist");
    String email = "greta.lindqvist@mail.example";

    String roomId;
    try (Browser browser = Browser.open(server)) {
      // the admin makes her mailbox key and the practice's in her browser, and lets Bob read
      browser.login(practice.admin());
      browser.visit("/#/mailbox");
      browser.type("#mailbox-own-key-password", KonsilServer.PASSWORD);
      browser.click("#mailbox-own-key-submit");
      browser.type("#mailbox-setup-password", KonsilServer.PASSWORD);
      browser.click("#mailbox-setup-submit");
      browser.type("#mailbox-unlock-password", KonsilServer.PASSWORD);
      browser.click("#mailbox-unlock-submit");
      browser.click("button[data-grant='" + bobUser.email() + "']");
      browser.waitForText("li[data-member='" + bobUser.email() + "']", "Entziehen");

      // the practice invites from the patient's page
      browser.visit("/#/patients/" + patient + "/mailbox");
      browser.type("#pm-invite-email", email);
      browser.click("#pm-invite");
      browser.waitForText("#pm-status", "Eingeladen");

      // the patient opens the link from the mail
      Waiting.until(
          () -> {
            KonsilServer.await(server.wiring().mailOutbox().drain());
            return !Mailbox.to(mail, email).isEmpty();
          },
          "the invitation mail");
      Matcher link = LINK.matcher(Mailbox.text(Mailbox.to(mail, email).get(0)));
      assertTrue(link.find(), "a registration link");
      browser.forgetSession();
      browser.visit("/mailbox#register=" + link.group(1));
      browser.waitForText("#mailbox-register-practice", "Praxis Dr. Weber");
      browser.type("#mailbox-password", "Sommer an der Ostsee 2026");
      browser.type("#mailbox-password-repeat", "Sommer an der Ostsee 2026");
      browser.click("#mailbox-register");
      browser.find("#mailbox-list");

      // what the browser wrapped and sealed opens with the Java implementation: Anna's key (with
      // her password), the practice key sealed for her and the one sealed for Bob
      MailboxActors.Staff annaDesk = new MailboxActors.Staff(server, anna);
      assertEquals(
          server
              .api()
              .get("/api/v1/organisation/mailbox", anna.accessToken())
              .json()
              .getJsonObject("practiceKey")
              .getString("x25519Public"),
          MailboxActors.b64(annaDesk.practiceKeys().xPublic()));
      assertArrayEquals(
          annaDesk.practiceKeys().xPublic(),
          new MailboxActors.Staff(server, bob).practiceKeys().xPublic());

      // the practice writes (Java implementation), the patient's browser opens it
      byte[] finding = "%PDF-1.4 Befund: Blutbild unauffaellig".getBytes(StandardCharsets.US_ASCII);
      assertEquals(
          201,
          annaDesk
              .send(
                  patient,
                  UUID.randomUUID(),
                  new Draft(
                      "Ihr Laborbefund",
                      "Guten Tag Frau Lindqvist,\nIhr Blutbild ist unauffällig. Den Befund finden"
                          + " Sie im Anhang.\nPraxis Dr. Weber",
                      List.of("blutbild.pdf"),
                      List.of(finding)))
              .status());
      browser.click("#mailbox-inbox");
      browser.click(".mailbox-item.unread");
      browser.waitForText("#mailbox-body", "Ihr Blutbild ist unauffällig");
      browser.waitForText(".mailbox-detail .verified", "Absender geprüft");
      browser.waitForText(".mailbox-files", "blutbild.pdf");
      browser.waitForGone(".mailbox-item.unread");
      browser.screenshot("patient-mailbox");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the patient's page");

      // she answers
      browser.click("#mailbox-reply");
      browser.type("#mailbox-new-body", "Vielen Dank! Muss ich im Herbst wieder zur Kontrolle?");
      browser.click("#mailbox-send");
      browser.waitForText("#mailbox-body", "im Herbst wieder zur Kontrolle");

      // the page urges a recovery sheet; she makes one, forgets her password, and resets it with
      // the code: the finding stays readable
      browser.click("#mailbox-recovery-start");
      browser.type("#mailbox-recovery-password", "Sommer an der Ostsee 2026");
      browser.click("#mailbox-recovery-submit");
      String code = browser.waitForText("#mailbox-recovery-code", "-");
      browser.screenshot("patient-mailbox-recovery-sheet");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the recovery sheet");
      browser.click("#mailbox-recovery-done");
      browser.waitForGone("#mailbox-recovery-urge");
      browser.click("#mailbox-logout");
      browser.click("#mailbox-forgot");
      browser.type("#mailbox-forgot-code", code.trim());
      browser.type("#mailbox-forgot-password", "Winter in den Bergen 2027");
      browser.type("#mailbox-forgot-password-repeat", "Winter in den Bergen 2027");
      browser.click("#mailbox-forgot-submit");
      browser.click(".mailbox-item");
      browser.waitForText("#mailbox-body", "Ihr Blutbild ist unauffällig");

      // the doctor unlocks the mailbox with her password and reads the answer
      Api.Response room = server.patientRoom(anna, patient);
      assertEquals(201, room.status(), room.body());
      roomId = room.json().getString("id");
      browser.login(practice.admin());
      browser.visit("/#/patients/" + patient + "/mailbox");
      browser.type("#mailbox-unlock-password", KonsilServer.PASSWORD);
      browser.click("#mailbox-unlock-submit");
      browser.waitForCount("#pm-messages .mailbox-item", 2);
      browser.click("#pm-messages .mailbox-item.unread");
      browser.waitForText("#pm-body", "im Herbst wieder zur Kontrolle");
      browser.waitForText("#pm-subject", "Re: Ihr Laborbefund");
      browser.screenshot("practice-mailbox");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the practice side");
      // and files it into the patient's chat for the record
      browser.click("#pm-file");
      browser.waitForText("#pm-file", "Übernommen");
      assertEquals(List.of(), browser.consoleErrors(), "script errors or refused loads");
    }

    // what the patient's browser wrote opens and verifies with the Java implementation
    List<Opened> opened =
        new MailboxActors.Staff(server, server.login(practice.admin())).read(patient);
    Opened answer =
        opened.stream().filter(m -> m.direction().equals("to_practice")).findFirst().orElseThrow();
    assertTrue(answer.verified(), "signed by the patient's browser");
    assertEquals("Vielen Dank! Muss ich im Herbst wieder zur Kontrolle?", answer.body());
    assertNotNull(answer.readAt(), "read by the practice");
    Opened finding =
        opened.stream().filter(m -> m.direction().equals("to_patient")).findFirst().orElseThrow();
    assertNotNull(finding.readAt(), "read by the patient");
    String history =
        server
            .api()
            .get(
                "/api/v1/rooms/" + roomId + "/messages",
                server.login(practice.admin()).accessToken())
            .body();
    assertTrue(
        history.contains("im Herbst wieder zur Kontrolle"), "filed into the room: " + history);
  }
}
