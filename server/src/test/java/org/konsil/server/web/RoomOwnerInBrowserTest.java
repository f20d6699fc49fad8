package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.openqa.selenium.Keys;

/**
 * What the organisation that owns a room does with it in the browser once it exists: record the
 * patient's revocation, add a partner later, and start a room with an invitation typed in but not
 * yet added.
 */
class RoomOwnerInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static KonsilServer.TestOrg practice;
  static KonsilServer.TestOrg careService;
  static KonsilServer.TestOrg pharmacy;
  static KonsilServer.TestUser anna;
  static KonsilServer.TestUser tom;
  static Browser annasBrowser;
  static Browser tomsBrowser;
  static Path signedPdf;
  static Path notes;

  @BeforeAll
  static void setUp() throws IOException {
    practice = server.organisation("practice", "Praxis Dr. Weber");
    careService = server.organisation("care_service", "Pflegedienst Lindenhof");
    pharmacy = server.organisation("pharmacy", "Apotheke am Markt");
    anna = server.user(practice, "Dr. Anna Weber");
    tom = server.user(careService, "Tom Berg");
    annasBrowser = Browser.open(server);
    tomsBrowser = Browser.open(server);
    signedPdf = Files.createTempFile("widerruf", ".pdf");
    Files.write(signedPdf, Documents.pdf().getBytes());
    notes = Files.createTempFile("notizen", ".txt");
    Files.writeString(notes, "kein unterschriebenes Dokument");
  }

  @AfterAll
  static void tearDown() throws IOException {
    for (Browser browser : new Browser[] {annasBrowser, tomsBrowser}) {
      if (browser != null) {
        browser.close();
      }
    }
    Files.deleteIfExists(signedPdf);
    Files.deleteIfExists(notes);
  }

  @AfterEach
  void pagesLoggedNoErrors() {
    assertEquals(List.of(), annasBrowser.consoleErrors(), "script errors or refused loads");
    assertEquals(List.of(), tomsBrowser.consoleErrors(), "script errors or refused loads");
  }

  /** A patient of the practice with a consent covering the organisations, and its room. */
  private static UUID patientRoom(String familyName, UUID... partners) {
    KonsilServer.Session annas = server.login(anna);
    UUID patient = server.patient(annas, familyName);
    assertEquals(
        201,
        server
            .uploadConsent(annas, patient, Documents.pdf(), "application/pdf", partners)
            .status());
    return UUID.fromString(server.patientRoom(annas, patient, partners).json().getString("id"));
  }

  @Test
  void thePracticeRecordsTheRevocationWithItsDocumentAndTheCareServiceSeesTheRoomClose() {
    UUID room = patientRoom("Widerrufer", careService.id());
    server.sendRest(server.login(anna), room, "Insulin morgens 12 IE");
    tomsBrowser.login(tom).openRoom(room);
    tomsBrowser.waitForText(".message .content", "Insulin");
    assertFalse(tomsBrowser.present("#revoke-consent"), "a partner cannot record a revocation");
    assertFalse(tomsBrowser.present("#add-partner"), "a partner cannot add organisations");

    annasBrowser.login(anna).openRoom(room);
    annasBrowser.click("#revoke-consent");
    annasBrowser.find("#revocation-file").sendKeys(notes.toAbsolutePath().toString());
    annasBrowser.click("#revocation-save");
    annasBrowser.waitForText("#revocation-form .error", "Bitte ein PDF, PNG oder JPEG wählen");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM consents c JOIN patients p ON p.id = c.patient_id"
                + " WHERE p.family_name = 'Widerrufer' AND c.revoked_at IS NOT NULL"),
        "nothing recorded for a wrong file type");
    tomsBrowser.waitForText(".message .content", "Insulin");

    annasBrowser.find("#revocation-file").sendKeys(signedPdf.toAbsolutePath().toString());
    annasBrowser.js(
        "const f = document.getElementById('revocation-date'); f.value = '2026-11-20';"
            + " f.dispatchEvent(new Event('input'));");
    annasBrowser.screenshot("record-revocation");
    annasBrowser.click("#revocation-save");

    tomsBrowser.waitForText(".consent-banner.revoked", "Einwilligung widerrufen.");
    tomsBrowser.waitForText(".message.masked .content", "Inhalt nach Widerruf verborgen");
    tomsBrowser.waitForText(
        ".message.system", "Die Einwilligung wurde widerrufen (Widerruf vom 20.11.2026)");
    assertFalse(tomsBrowser.text(".messages").contains("Insulin"));
    assertEquals("true", tomsBrowser.attribute("#composer-text", "disabled"));
    assertEquals(
        "Raum geschlossen: Die Einwilligung wurde widerrufen.",
        tomsBrowser.attribute("#composer-text", "placeholder"));
    tomsBrowser.waitForText("#room-title", "Patient – Einwilligung widerrufen");

    annasBrowser.waitForText(".consent-banner.revoked", "Einwilligung widerrufen.");
    annasBrowser.waitForText(
        ".room-item[data-room='" + room + "'] .room-state", "Einwilligung widerrufen");
    annasBrowser.waitForGone("#revoke-consent");
    annasBrowser.waitForGone("#add-partner");
    assertEquals("true", annasBrowser.attribute("#composer-text", "disabled"));
    // the practice opens the signed revocation from the banner; the care service has no such link
    annasBrowser.waitForText("#open-revocation", "Unterschriebenen Widerruf öffnen");
    assertFalse(tomsBrowser.present("#open-revocation"), "a partner cannot open the revocation");
    Set<String> before = annasBrowser.driver().getWindowHandles();
    annasBrowser.click("#open-revocation");
    String opened =
        annasBrowser.until(
            () ->
                annasBrowser.driver().getWindowHandles().stream()
                    .filter(handle -> !before.contains(handle))
                    .findFirst()
                    .orElse(null),
            "a new tab with the signed revocation");
    String main = annasBrowser.driver().getWindowHandle();
    annasBrowser.driver().switchTo().window(opened);
    annasBrowser.driver().close();
    annasBrowser.driver().switchTo().window(main);
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'consent.revocation_document_read'"
                + " AND outcome = 'success'"),
        "the practice's opening is audited");
    annasBrowser.screenshot("revoked-owner");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM consents c JOIN patients p ON p.id = c.patient_id"
                + " WHERE p.family_name = 'Widerrufer' AND c.revoked_at IS NOT NULL"
                + " AND revocation_date = '2026-11-20' AND revocation_file_id IS NOT NULL"),
        "the revocation and its document are on record");
  }

  @Test
  void aRoomWithAPartnerIsOpenedWithTheKeyboardAlone() {
    annasBrowser.login(anna);
    annasBrowser.find("#new-room");
    annasBrowser.tabTo("#new-room");
    annasBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    annasBrowser.find("#new-room-form");
    annasBrowser.tabTo("#room-title-input");
    annasBrowser.driver().switchTo().activeElement().sendKeys("Nur mit Tasten");
    annasBrowser.tabTo("#directory-search");
    annasBrowser.driver().switchTo().activeElement().sendKeys("Lindenhof", Keys.ENTER);
    String partner = "#directory-results [data-org='" + careService.id() + "']";
    annasBrowser.find(partner);
    annasBrowser.tabTo(partner);
    annasBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    annasBrowser.waitForText("#partner-chips", "Pflegedienst Lindenhof");
    // a care home not yet on Konsil is invited by e-mail from the same form
    annasBrowser.tabTo("#invite-name");
    annasBrowser.driver().switchTo().activeElement().sendKeys("Pflegeheim Am Tastenweg");
    annasBrowser.tabTo("#invite-email");
    annasBrowser.driver().switchTo().activeElement().sendKeys("heim@tastenweg.example");
    annasBrowser.tabTo("#invite-add");
    annasBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    annasBrowser.waitForText("#partner-chips", "Pflegeheim Am Tastenweg");
    annasBrowser.tabTo("#create-room");
    annasBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);

    annasBrowser.waitForText("#room-title", "Nur mit Tasten");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM rooms r JOIN room_members m ON m.room_id = r.id"
                + " WHERE r.title = 'Nur mit Tasten' AND m.organisation_id = '"
                + careService.id()
                + "'"),
        "opened with the care service, with Tab and Enter alone");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM invitations i JOIN rooms r ON r.id = i.room_id"
                + " WHERE r.title = 'Nur mit Tasten' AND i.email = 'heim@tastenweg.example'"),
        "the invitation typed with the keyboard goes along");
  }

  @Test
  void aRevocationIsRecordedWithTheKeyboardAlone() {
    UUID room = patientRoom("Tastenwiderruf", careService.id());
    annasBrowser.login(anna);
    annasBrowser.find(".room-item[data-room='" + room + "']");
    annasBrowser.tabTo(".room-item[data-room='" + room + "']");
    annasBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    annasBrowser.find("#revoke-consent");
    annasBrowser.tabTo("#revoke-consent");
    annasBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    // the date field comes first and holds today; the optional document is left out
    annasBrowser.tabTo("#revocation-date");
    annasBrowser.tabTo("#revocation-save");
    annasBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);

    annasBrowser.waitForText(".consent-banner.revoked", "Einwilligung widerrufen.");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM consents c JOIN patients p ON p.id = c.patient_id"
                + " WHERE p.family_name = 'Tastenwiderruf' AND c.revoked_at IS NOT NULL"),
        "recorded with Tab and Enter alone");
  }

  @Test
  void theOwnerAddsAPartnerLaterWhoSeesTheRoomAndItsHistory() {
    KonsilServer.Session annas = server.login(anna);
    UUID room =
        UUID.fromString(
            server
                .api()
                .post(
                    "/api/v1/rooms",
                    new JsonObject()
                        .put("title", "Wundkonferenz")
                        .put("partnerOrganisationIds", new JsonArray()),
                    annas.accessToken())
                .json()
                .getString("id"));
    server.sendRest(annas, room, "Bitte Fotos der Wunde mitbringen.");
    tomsBrowser.login(tom);
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.click("#add-partner");
    annasBrowser.type("#partner-search", "Lindenhof").click("#partner-search-button");
    annasBrowser.click("#partner-results button[data-org='" + careService.id() + "']");
    annasBrowser.waitForText(".add-partner .notice", "Pflegedienst Lindenhof ist jetzt im Raum");
    annasBrowser.waitForText(".partners-line", "Pflegedienst Lindenhof");

    tomsBrowser.waitForText(".room-item[data-room='" + room + "']", "Wundkonferenz");
    tomsBrowser.openRoom(room);
    tomsBrowser.waitForText(".message .content", "Bitte Fotos der Wunde mitbringen.");
    assertFalse(tomsBrowser.present("#add-partner"), "only the owner adds partners");

    // searching again offers only organisations that are not in the room yet
    annasBrowser.type("#partner-search", "Lindenhof").click("#partner-search-button");
    annasBrowser.waitForText("#partner-results", "Niemand gefunden.");
  }

  @Test
  void aPartnerTheConsentDoesNotCoverIsRefusedWithTheReason() {
    UUID room = patientRoom("Abgedeckt", careService.id());
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.click("#add-partner");
    annasBrowser.waitForText(".add-partner .hint", "die die aktuelle Einwilligung nennt");
    annasBrowser.type("#partner-search", "Apotheke").click("#partner-search-button");
    annasBrowser.click("#partner-results button[data-org='" + pharmacy.id() + "']");
    annasBrowser.waitForText(
        ".add-partner .error", "Dafür fehlt eine gültige Einwilligung, die diese Organisation");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM room_members WHERE room_id = '"
                + room
                + "' AND organisation_id = '"
                + pharmacy.id()
                + "'"),
        "not added");
    assertFalse(annasBrowser.text(".partners-line").contains("Apotheke"));
  }

  @Test
  void thePatientRoomFormAsksForThePartnersBeforeTheConsentAndSaysWhatIsMissingWhere() {
    annasBrowser.login(anna);
    annasBrowser.click("#new-room");
    annasBrowser.click("#kind-patient");
    assertEquals(
        true,
        annasBrowser.js(
            "const partners = document.getElementById('directory-search');"
                + " const consent = document.getElementById('consent-section');"
                + " return Boolean(partners.compareDocumentPosition(consent)"
                + " & Node.DOCUMENT_POSITION_FOLLOWING);"),
        "the partners come before the consent that must cover them");
    annasBrowser.waitForText("#consent-box", "Wählen Sie zuerst oben die Patientin");

    annasBrowser.click("#create-room");
    annasBrowser.waitForText("#room-title-input-error", "Geben Sie dem Raum einen Titel.");
    annasBrowser.waitForText("#patient-search-error", "Suchen Sie die Patientin/den Patienten");
    annasBrowser.waitForText("#new-room-form > .error", "Bitte prüfen Sie die markierten Angaben");

    annasBrowser.click(".create-patient summary");
    annasBrowser.type("#patient-given", "Hans");
    annasBrowser.js(
        "const f = document.getElementById('patient-birth'); f.value = '2999-01-01';"
            + " f.dispatchEvent(new Event('input'));");
    annasBrowser.click("#patient-save");
    annasBrowser.waitForText("#patient-family-error", "Der Nachname fehlt.");
    annasBrowser.waitForText("#patient-birth-error", "Das Geburtsdatum liegt in der Zukunft.");
    assertEquals(0, server.count("SELECT count(*) FROM patients WHERE given_name = 'Hans'"));

    annasBrowser.type("#patient-family", "Beispiel");
    annasBrowser.js(
        "const f = document.getElementById('patient-birth'); f.value = '1938-05-02';"
            + " f.dispatchEvent(new Event('input'));");
    annasBrowser.click("#patient-save");
    annasBrowser.waitForText(".chosen-patient", "Beispiel, Hans (02.05.1938)");
    annasBrowser.waitForText("#consent-box", "Wählen Sie zuerst oben die Partner");
    assertFalse(annasBrowser.present("#consent-file"), "nothing to sign before the partners");

    annasBrowser.type("#directory-search", "Lindenhof").click("#directory-search-button");
    annasBrowser.click("#directory-results button[data-org='" + careService.id() + "']");
    annasBrowser.waitForText("#consent-box", "Die Einwilligung nennt: Pflegedienst Lindenhof.");
    annasBrowser.click("#create-room");
    annasBrowser.waitForText("#consent-state-error", "Es fehlt eine Einwilligung");
    assertEquals(
        0,
        server.count("SELECT count(*) FROM rooms WHERE title = 'Beispiel, Hans'"),
        "no room yet");

    annasBrowser.find("#consent-file").sendKeys(signedPdf.toAbsolutePath().toString());
    annasBrowser.waitForText("#consent-box", "Einwilligung gespeichert (Version 1)");
    annasBrowser.waitForGone("#consent-state-error");
    annasBrowser.click("#create-room");
    annasBrowser.waitForText(".consent-banner.active", "Einwilligung liegt vor (Version 1");
    assertEquals(1, server.count("SELECT count(*) FROM rooms WHERE title = 'Beispiel, Hans'"));
  }

  @Test
  void anInvitationTypedButNotAddedGoesAlongOrStopsTheRoomWithTheReason() {
    annasBrowser.login(anna);
    annasBrowser.click("#new-room");
    annasBrowser.type("#room-title-input", "Überleitung Frau B.");
    annasBrowser.type("#invite-email", "leitung@rosengarten.test");
    annasBrowser.click("#create-room");
    annasBrowser.waitForText("#invite-name-error", "Der Name der Organisation fehlt.");
    annasBrowser.waitForText("#new-room-form .error", "Die Einladung ist noch nicht vollständig");
    assertEquals("true", annasBrowser.attribute("#invite-name", "aria-invalid"));
    assertEquals(
        0,
        server.count("SELECT count(*) FROM rooms WHERE title = 'Überleitung Frau B.'"),
        "no room without the invitation");

    annasBrowser.type("#invite-name", "Pflegeheim Rosengarten");
    annasBrowser.click("#create-room");
    String room = annasBrowser.attribute(".room[data-room]", "data-room");
    annasBrowser.waitForText(".invitations summary", "Einladungen (1)");
    annasBrowser.click(".invitations summary");
    annasBrowser.waitForText(".invitations li", "Pflegeheim Rosengarten");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM invitations WHERE room_id = '"
                + room
                + "' AND email = 'leitung@rosengarten.test'"),
        "the typed invitation went along");
    assertTrue(server.count("SELECT count(*) FROM rooms WHERE title = 'Überleitung Frau B.'") == 1);
  }
}
