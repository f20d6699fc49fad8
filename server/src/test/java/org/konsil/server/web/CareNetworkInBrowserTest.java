package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Mailbox;

/**
 * The care network in the browser: a patient room with its consent, a revocation that masks it, an
 * attachment, an invitation by e-mail and the invited care home's registration with its code.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class CareNetworkInBrowserTest {

  static final int SMTP_PORT = KonsilServer.freePort();
  static final Pattern CODE = Pattern.compile("[0-9A-Z]{4}(?:-[0-9A-Z]{2,4}){6}");

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

  static KonsilServer.TestOrg practice;
  static KonsilServer.TestOrg careService;
  static KonsilServer.TestUser anna;
  static KonsilServer.TestUser tom;
  static Browser annasBrowser;
  static Browser tomsBrowser;
  static Path consentPdf;

  @BeforeAll
  static void setUp() throws IOException {
    practice = server.organisation("practice", "Praxis Dr. Weber");
    careService = server.organisation("care_service", "Pflegedienst Lindenhof");
    anna = server.user(practice, "Dr. Anna Weber");
    tom = server.user(careService, "Tom Berg");
    annasBrowser = Browser.open(server);
    tomsBrowser = Browser.open(server);
    consentPdf = Files.createTempFile("einwilligung", ".pdf");
    Files.write(consentPdf, Documents.pdf().getBytes());
  }

  @AfterAll
  static void tearDown() throws IOException {
    for (Browser browser : new Browser[] {annasBrowser, tomsBrowser}) {
      if (browser != null) {
        browser.close();
      }
    }
    Files.deleteIfExists(consentPdf);
  }

  @AfterEach
  void pagesLoggedNoErrors() {
    assertEquals(List.of(), annasBrowser.consoleErrors(), "script errors or refused loads");
    assertEquals(List.of(), tomsBrowser.consoleErrors(), "script errors or refused loads");
  }

  private static UUID openRoomId(Browser browser) {
    return UUID.fromString(browser.attribute(".room[data-room]", "data-room"));
  }

  @Test
  void a_patientRoomStartedInTheBrowserShowsTheConsentBannerThatOpensTheDocument() {
    annasBrowser.login(anna);
    annasBrowser.click("#new-room");
    annasBrowser.click("#kind-patient");
    annasBrowser.click(".create-patient summary");
    annasBrowser.type("#patient-family", "Musterfrau").type("#patient-given", "Erika");
    annasBrowser.js(
        "const f = document.getElementById('patient-birth'); f.value = '1941-03-07';"
            + " f.dispatchEvent(new Event('input'));");
    annasBrowser.click("#patient-save");
    annasBrowser.waitForText(".chosen-patient", "Musterfrau, Erika (07.03.1941)");
    annasBrowser.type("#directory-search", "Lindenhof").click("#directory-search-button");
    annasBrowser.click("#directory-results button[data-org='" + careService.id() + "']");
    annasBrowser.waitForText("#partner-chips", "Pflegedienst Lindenhof");
    watchOpenedDocuments(annasBrowser);
    annasBrowser.click("#consent-template");
    assertEquals("application/pdf %PDF-", openedDocument(annasBrowser), "the consent form");
    annasBrowser.screenshot("new-patient-room");
    annasBrowser.find("#consent-file").sendKeys(consentPdf.toAbsolutePath().toString());
    annasBrowser.waitForText(".consent-box", "Einwilligung gespeichert (Version 1)");
    annasBrowser.click("#create-room");

    annasBrowser.waitForText(".consent-banner.active", "Einwilligung liegt vor (Version 1");
    UUID room = openRoomId(annasBrowser);
    annasBrowser.send("Frau Musterfrau braucht ab Montag Kompressionsstrümpfe.");
    annasBrowser.waitForText(".message.own[data-state=sent] .content", "Kompressionsstrümpfe");

    tomsBrowser.login(tom).openRoom(room);
    tomsBrowser.waitForText(".patient-line", "Musterfrau, Erika");
    tomsBrowser.waitForText(".message .content", "Kompressionsstrümpfe");
    tomsBrowser.screenshot("patient-room");
    watchOpenedDocuments(tomsBrowser);
    Set<String> before = tomsBrowser.driver().getWindowHandles();
    tomsBrowser.click("#open-consent");
    String opened =
        tomsBrowser.until(
            () -> {
              for (String handle : tomsBrowser.driver().getWindowHandles()) {
                if (!before.contains(handle)) {
                  return handle;
                }
              }
              return null;
            },
            "a new tab with the consent");
    assertEquals("application/pdf %PDF-", openedDocument(tomsBrowser), "the consent document");
    String main = tomsBrowser.driver().getWindowHandle();
    tomsBrowser.driver().switchTo().window(opened);
    String url = tomsBrowser.driver().getCurrentUrl();
    assertTrue(url.startsWith("blob:http://localhost:"), url);
    tomsBrowser.driver().close();
    tomsBrowser.driver().switchTo().window(main);
    assertEquals(
        1,
        server.count("SELECT count(*) FROM audit_events WHERE action = 'consent.document_read'"),
        "the care service's opening is audited");
  }

  @Test
  void b_attachmentUploadedWithThePickerOpensForThePartner() {
    tomsBrowser.login(tom);
    UUID room = UUID.fromString(tomsBrowser.attribute(".room-item[data-room]", "data-room"));
    tomsBrowser.openRoom(room);
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.find("#attach-file").sendKeys(consentPdf.toAbsolutePath().toString());
    String name = consentPdf.getFileName().toString();
    tomsBrowser.waitForText(".message .attachment .file-name", name);
    annasBrowser.waitForText(".message.own .attachment .file-name", name);
    String png = java.util.Base64.getEncoder().encodeToString(Documents.png().getBytes());
    annasBrowser.js(
        "const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));"
            + " const data = new DataTransfer();"
            + " data.items.add(new File([bytes], 'wunde.png', {type: 'image/png'}));"
            + " const room = document.querySelector('.room');"
            + " room.dispatchEvent(new DragEvent('dragenter', {dataTransfer: data, bubbles: true}));"
            + " room.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true}));",
        png);
    tomsBrowser.waitForText(".message .attachment .file-name", "wunde.png");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE kind = 'attachment' AND content LIKE '%wunde.png%'"));

    watchOpenedDocuments(tomsBrowser);
    String main = tomsBrowser.driver().getWindowHandle();
    tomsBrowser.click(".message .attachment button");
    assertEquals("application/pdf %PDF-", openedDocument(tomsBrowser), "the attachment itself");
    for (String handle : tomsBrowser.driver().getWindowHandles()) {
      if (!handle.equals(main)) {
        tomsBrowser.driver().switchTo().window(handle).close();
      }
    }
    tomsBrowser.driver().switchTo().window(main);
  }

  @Test
  void c_revokedConsentMasksTheRoomLiveAndDisablesTheComposer() {
    tomsBrowser.login(tom);
    UUID room = UUID.fromString(tomsBrowser.attribute(".room-item[data-room]", "data-room"));
    tomsBrowser.openRoom(room);
    tomsBrowser.waitForText(".message .content", "Kompressionsstrümpfe");
    tomsBrowser.press("#composer-text", "Entwurf vor dem Widerruf");

    KonsilServer.Session annas = server.login(anna);
    JsonObject view = server.api().get("/api/v1/rooms/" + room, annas.accessToken()).json();
    String patient = view.getJsonObject("patient").getString("id");
    assertEquals(
        200,
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=2026-11-20",
                annas.accessToken(),
                null,
                null)
            .status());

    tomsBrowser.waitForText(".consent-banner.revoked", "widerrufen");
    tomsBrowser.waitForText(".message.masked .content", "Inhalt nach Widerruf verborgen");
    tomsBrowser.waitForText(
        ".message.system", "Die Einwilligung wurde widerrufen (Widerruf vom 20.11.2026)");
    assertTrue(
        !tomsBrowser.present(".message .content:not(.masked)")
            || !tomsBrowser.text(".messages").contains("Kompressionsstrümpfe"),
        "nothing of the history shows");
    assertEquals("true", tomsBrowser.attribute("#composer-text", "disabled"));
    assertTrue(
        tomsBrowser.attribute(".room-item[data-room='" + room + "']", "class").contains("revoked"));
    // the partner no longer sees who the patient is
    String item = ".room-item[data-room='" + room + "']";
    tomsBrowser.waitForText("#room-title", "Patient – Einwilligung widerrufen");
    tomsBrowser.waitForText(item + " .room-title", "Patient – Einwilligung widerrufen");
    tomsBrowser.waitForText(".patient-line", "Angaben zur Person nach Widerruf verborgen");
    assertTrue(!tomsBrowser.text(".room-head").contains("Musterfrau"));
    assertTrue(!tomsBrowser.text(item).contains("Musterfrau"));
    assertTrue(!tomsBrowser.present("#open-consent"), "no consent document to open");
    tomsBrowser.screenshot("revoked");

    tomsBrowser.driver().navigate().refresh();
    tomsBrowser.openRoom(room);
    tomsBrowser.waitForText(".message.masked .content", "Inhalt nach Widerruf verborgen");
    assertTrue(!tomsBrowser.text(".messages").contains("Kompressionsstrümpfe"));
    tomsBrowser.waitForText("#room-title", "Patient – Einwilligung widerrufen");
    assertTrue(!tomsBrowser.text(".room-head").contains("Musterfrau"));
    assertTrue(!tomsBrowser.text(item).contains("1941"));

    // the practice still sees everything
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.waitForText(".patient-line", "Musterfrau, Erika");
  }

  @Test
  void d_invitedCareHomeRegistersWithTheCodeFromTheMailAndFindsTheRoom() throws Exception {
    annasBrowser.login(anna);
    annasBrowser.click("#new-room");
    annasBrowser.type("#room-title-input", "Überleitung Herr K.");
    annasBrowser.type("#invite-name", "Pflegeheim Sonnenhof");
    annasBrowser.type("#invite-email", "leitung@sonnenhof.test");
    annasBrowser.click("#invite-add");
    annasBrowser.waitForText("#partner-chips", "Pflegeheim Sonnenhof");
    annasBrowser.click("#invite-now");
    annasBrowser.click("#create-room");
    UUID room = openRoomId(annasBrowser);
    annasBrowser.waitForText(".invitations summary", "Einladungen (1)");

    String body = Mailbox.firstTextTo(mail, "leitung@sonnenhof.test");
    Matcher code = CODE.matcher(body);
    assertTrue(code.find(), body);
    assertTrue(body.contains("/register"), "the mail links to the registration page");

    Browser newcomer = Browser.open(server, 768, 1024);
    try {
      newcomer.visit("/register");
      newcomer.type("#register-code", "AAAA-BB-CC-DD-EE-FF-GG");
      newcomer.type("#register-name", "Petra Lind");
      newcomer.type("#register-email", "leitung@sonnenhof.test");
      newcomer.type("#register-password", "ein langes Passwort");
      newcomer.click("#register-submit");
      newcomer.waitForText(".error", "Der Einladungscode ist falsch oder abgelaufen.");

      newcomer.type("#register-code", code.group());
      newcomer.screenshot("register");
      newcomer.click("#register-submit");
      newcomer.waitForText(".notice", "Ihre Organisation ist registriert");
      newcomer.type("#login-email", "leitung@sonnenhof.test");
      newcomer.type("#login-password", "ein langes Passwort");
      newcomer.click("#login-submit");
      // the code lets them register, not read: the room waits for the practice's confirmation
      newcomer.waitForText(
          "#waiting .waiting-pending", "wartet auf die Bestätigung durch Praxis Dr. Weber");
      assertTrue(!newcomer.present(".room-item[data-room='" + room + "']"));
      newcomer.screenshot("waiting-for-confirmation");

      annasBrowser.waitForText(".registration", "Petra Lind (leitung@sonnenhof.test)");
      annasBrowser.screenshot("confirm-registration");
      annasBrowser.click(".confirm-registration");
      annasBrowser.waitForText(".invitations", "registriert und bestätigt");

      newcomer.waitForText(".room-item[data-room='" + room + "']", "Überleitung Herr K.");
      newcomer.waitForGone("#waiting .waiting-pending");
      newcomer.openRoom(room);
      newcomer.send("Guten Tag, wir übernehmen Herrn K. ab Freitag.");
      newcomer.waitForText(".message.own[data-state=sent] .content", "wir übernehmen");
      newcomer.screenshot("tablet");
      annasBrowser.waitForText(".message:not(.own) .content", "wir übernehmen Herrn K.");
      annasBrowser.waitForText(".message .meta", "Petra Lind");
      assertEquals(List.of(), newcomer.consoleErrors());
    } finally {
      newcomer.close();
    }
  }

  @Test
  void e_adminAddsAUserWhoSetsThePasswordFromTheMailedLink() throws Exception {
    KonsilServer.TestUser admin = practice.admin();
    annasBrowser.login(admin);
    annasBrowser.click("a[href='#/admin']");
    annasBrowser.type("#user-name", "Lena Koch").type("#user-email", "l.koch@praxis-weber.test");
    annasBrowser.click("#user-add");
    annasBrowser.waitForText(".users", "l.koch@praxis-weber.test");
    annasBrowser.screenshot("admin");

    String body = Mailbox.firstTextTo(mail, "l.koch@praxis-weber.test");
    Matcher link = Pattern.compile("/set-password#token=[A-Za-z0-9_-]+").matcher(body);
    assertTrue(link.find(), body);

    tomsBrowser.forgetSession().visit(link.group());
    tomsBrowser.type("#new-password", "ein anderes langes Passwort");
    tomsBrowser.type("#repeat-password", "nicht dasselbe Passwort");
    tomsBrowser.click("#password-submit");
    tomsBrowser.waitForText(".error", "Die Passwörter stimmen nicht überein.");
    tomsBrowser.type("#repeat-password", "ein anderes langes Passwort");
    tomsBrowser.click("#password-submit");
    tomsBrowser.waitForText(".notice", "Ihr Passwort ist gesetzt");
    tomsBrowser.type("#login-email", "l.koch@praxis-weber.test");
    tomsBrowser.type("#login-password", "ein anderes langes Passwort");
    tomsBrowser.click("#login-submit");
    tomsBrowser.waitForText(".who", "Lena Koch");
    tomsBrowser.click("a[href='#/settings']");
    tomsBrowser.click("#notify-by-email");
    tomsBrowser.waitForText(".notice", "Gespeichert.");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM users WHERE email = 'l.koch@praxis-weber.test'"
                + " AND NOT notify_by_email"),
        "the switch is stored");

    annasBrowser.js(
        "for (const row of document.querySelectorAll('tr[data-user]')) {"
            + " if (row.textContent.includes('l.koch@')) row.querySelector('button').click(); }");
    annasBrowser.waitForText(".users", "gesperrt");
    annasBrowser.driver().navigate().refresh();
    annasBrowser.waitForText(".users", "gesperrt");
  }

  @Test
  void f_aMessageWaitingWhileOfflineFailsWhenTheConsentWasRevokedMeanwhileAndTheRoomIsMasked() {
    KonsilServer.Session annas = server.login(anna);
    UUID patient = server.patient(annas, "Beispiel");
    assertEquals(
        201,
        server
            .uploadConsent(annas, patient, Documents.pdf(), "application/pdf", careService.id())
            .status());
    UUID room =
        UUID.fromString(
            server.patientRoom(annas, patient, careService.id()).json().getString("id"));
    server.sendRest(annas, room, "Blutzucker heute 180 mg/dl");
    tomsBrowser.login(tom).openRoom(room);
    tomsBrowser.waitForText(".message .content", "Blutzucker");

    server.stop();
    tomsBrowser.find(".conn-banner");
    tomsBrowser.send("Wir messen heute Abend nach.");
    tomsBrowser.waitForText(".message.pending[data-state=sending] .content", "Wir messen");
    // keep this page offline until the revocation is on record
    tomsBrowser.driver().executeCdpCommand("Network.enable", java.util.Map.of());
    tomsBrowser
        .driver()
        .executeCdpCommand(
            "Network.setBlockedURLs", java.util.Map.of("urls", List.of("*ws-tickets*")));
    server.start();
    KonsilServer.Session again = server.login(anna);
    assertEquals(
        200,
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=2026-11-21",
                again.accessToken(),
                null,
                null)
            .status());
    tomsBrowser
        .driver()
        .executeCdpCommand("Network.setBlockedURLs", java.util.Map.of("urls", List.of()));
    tomsBrowser.reconnect();

    tomsBrowser.waitForText(
        ".message.pending[data-state=failed] .failed", "Die Einwilligung wurde widerrufen.");
    tomsBrowser.waitForText(".consent-banner.revoked", "widerrufen");
    tomsBrowser.waitForText(".message.masked .content", "Inhalt nach Widerruf verborgen");
    assertTrue(!tomsBrowser.text(".messages").contains("Blutzucker"));
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM messages WHERE content = 'Wir messen heute Abend nach.'"),
        "refused, not stored");
    tomsBrowser.click(".message.pending .failed button");
    tomsBrowser.waitForGone(".message.pending");
    // Anna's page from the earlier tests was open too and may have tried to reconnect meanwhile.
    for (Browser browser : new Browser[] {tomsBrowser, annasBrowser}) {
      for (String error : browser.consoleErrors()) {
        assertTrue(error.contains("net::ERR_"), "only the refused connections: " + error);
      }
    }
  }

  @Test
  void g_loginAsksForTheSecondFactorAndEnrolsWhereTheOrganisationRequiresIt() {
    KonsilServer.TestUser lena = server.user(practice, "Lena Schmidt");
    KonsilServer.Session session = server.login(lena);
    String secret =
        server
            .api()
            .post("/api/v1/me/second-factor", null, session.accessToken())
            .json()
            .getString("secret");
    long step = server.clock.instant().getEpochSecond() / 30;
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", org.konsil.server.accounts.Totp.codeAt(secret, step)),
                session.accessToken())
            .status());
    tomsBrowser.forgetSession().visit("/");
    tomsBrowser.type("#login-email", lena.email()).type("#login-password", lena.password());
    tomsBrowser.click("#login-submit");
    tomsBrowser.type("#login-code", "000000").press("#login-code", org.openqa.selenium.Keys.ENTER);
    tomsBrowser.waitForText(".error", "Der Code ist falsch oder wurde schon benutzt.");
    tomsBrowser.type("#login-code", org.konsil.server.accounts.Totp.codeAt(secret, step + 1));
    tomsBrowser.press("#login-code", org.openqa.selenium.Keys.ENTER);
    tomsBrowser.waitForText(".who", "Lena Schmidt");

    KonsilServer.TestOrg strict = server.organisation("clinic", "Klinikum Nord");
    KonsilServer.Session admin = server.login(strict.admin());
    assertEquals(
        200,
        server
            .api()
            .patch(
                "/api/v1/organisation",
                new JsonObject().put("requireSecondFactor", true),
                admin.accessToken())
            .status());
    KonsilServer.TestUser doctor = server.user(strict, "Dr. Jan Nord");
    tomsBrowser.forgetSession().visit("/");
    tomsBrowser.type("#login-email", doctor.email()).type("#login-password", doctor.password());
    tomsBrowser.click("#login-submit");
    String shown = tomsBrowser.text("#enrol-secret");
    tomsBrowser.type("#enrol-code", org.konsil.server.accounts.Totp.codeAt(shown, step));
    tomsBrowser.press("#enrol-code", org.openqa.selenium.Keys.ENTER);
    tomsBrowser.waitForCount(".recovery-codes li", 10);
    tomsBrowser.click(".entry button.primary");
    tomsBrowser.waitForText(".who", "Dr. Jan Nord");
  }

  /**
   * Notes the type and first bytes of every document the page hands to a new tab (the page's own
   * Content-Security-Policy keeps tests from fetching blob: addresses).
   */
  private static void watchOpenedDocuments(Browser browser) {
    browser.js(
        "window.openedDocuments = []; const original = URL.createObjectURL;"
            + " URL.createObjectURL = (blob) => { blob.arrayBuffer().then(bytes =>"
            + " window.openedDocuments.push(blob.type + ' '"
            + " + String.fromCharCode(...new Uint8Array(bytes.slice(0, 5)))));"
            + " return original.call(URL, blob); };");
  }

  private static String openedDocument(Browser browser) {
    return browser.until(
        () -> (String) browser.js("return window.openedDocuments[0] || null"),
        "an opened document");
  }
}
