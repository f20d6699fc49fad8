package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/** Two clinicians of two organisations chat in two real browsers. */
class ChatInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static KonsilServer.TestOrg practice;
  static KonsilServer.TestOrg careHome;
  static KonsilServer.TestUser anna;
  static KonsilServer.TestUser tom;
  static Browser annasBrowser;
  static Browser tomsBrowser;

  @BeforeAll
  static void twoOrganisationsAndTwoBrowsers() {
    practice = server.organisation("practice", "Praxis Dr. Weber");
    careHome = server.organisation("care_home", "Pflegeheim Sonnenhof");
    anna = server.user(practice, "Dr. Anna Weber");
    tom = server.user(careHome, "Tom Berg");
    annasBrowser = Browser.open(server);
    tomsBrowser = Browser.open(server);
  }

  @AfterAll
  static void closeBrowsers() {
    for (Browser browser : new Browser[] {annasBrowser, tomsBrowser}) {
      if (browser != null) {
        browser.close();
      }
    }
  }

  @AfterEach
  void pagesLoggedNoErrors() {
    assertEquals(List.of(), annasBrowser.consoleErrors(), "script errors or refused loads");
    assertEquals(List.of(), tomsBrowser.consoleErrors(), "script errors or refused loads");
  }

  private UUID room(String title) {
    KonsilServer.Session session = server.login(anna);
    return UUID.fromString(
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", title)
                    .put("partnerOrganisationIds", new JsonArray().add(careHome.id().toString())),
                session.accessToken())
            .json()
            .getString("id"));
  }

  /** The sequence numbers the open room shows, read in one go (the list is re-rendered often). */
  private static List<Long> seqs(Browser browser) {
    String shown =
        (String)
            browser.js(
                "return [...document.querySelectorAll('.messages .message[data-seq]')]"
                    + ".map(item => item.dataset.seq).join(',')");
    List<Long> seqs = new ArrayList<>();
    for (String seq : shown.split(",")) {
      if (!seq.isEmpty()) {
        seqs.add(Long.parseLong(seq));
      }
    }
    return seqs;
  }

  private static void assertGapFree(List<Long> seqs, long last) {
    List<Long> expected = new ArrayList<>();
    for (long seq = 1; seq <= last; seq++) {
      expected.add(seq);
    }
    assertEquals(expected, seqs, "every message once, in order");
  }

  @Test
  void twoOrganisationsChatLiveWithAcksTypingAndNewLines() {
    UUID room = room("Wundversorgung Zimmer 12");
    annasBrowser.login(anna).openRoom(room);
    tomsBrowser.login(tom).openRoom(room);

    annasBrowser.send("Guten Morgen, wie sieht die Wunde heute aus?");
    annasBrowser.waitForText(".message.own[data-state=sent] .content", "wie sieht die Wunde");
    tomsBrowser.waitForText(".message .content", "Guten Morgen, wie sieht die Wunde heute aus?");

    tomsBrowser.press("#composer-text", "Gerötet,");
    annasBrowser.waitForText(".typing", "Tom Berg");
    tomsBrowser.press("#composer-text", Keys.chord(Keys.SHIFT, Keys.ENTER), "Verband gewechselt.");
    assertEquals(1, seqs(tomsBrowser).size(), "Shift+Enter makes a new line, it sends nothing");
    tomsBrowser.press("#composer-text", Keys.ENTER);
    String reply = annasBrowser.waitForText(".message:not(.own) .content", "Verband gewechselt.");
    assertEquals("Gerötet,\nVerband gewechselt.", reply);
    annasBrowser.waitForText(".message .meta", "Pflegeheim Sonnenhof");
    annasBrowser.until(() -> annasBrowser.text(".typing").isEmpty() ? true : null, "typing ends");
    annasBrowser.screenshot("chat");

    assertGapFree(seqs(annasBrowser), 2);
    assertGapFree(seqs(tomsBrowser), 2);
    assertEquals(2, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void newMessageMovesRoomUpWithBadgeAndReadingClearsIt() {
    server.clock.advance(java.time.Duration.ofMinutes(1));
    UUID older = room("Medikationsplan Herr K.");
    server.clock.advance(java.time.Duration.ofMinutes(1));
    UUID newer = room("Entlassung Frau S.");
    annasBrowser.login(anna);
    tomsBrowser.login(tom);
    String first = annasBrowser.attribute(".room-item", "data-room");
    assertEquals(newer.toString(), first, "newest activity first");

    KonsilServer.Session toms = server.login(tom);
    server.clock.advance(java.time.Duration.ofMinutes(1));
    server.sendRest(toms, older, "Bitte den neuen Plan faxen.");
    server.sendRest(toms, older, "Danke!");
    annasBrowser.waitForText(".room-item[data-room='" + older + "'] .badge", "2");
    assertEquals(
        older.toString(),
        annasBrowser.attribute(".room-item", "data-room"),
        "the room with the new message moved up");
    annasBrowser.screenshot("rooms");

    annasBrowser.openRoom(older);
    annasBrowser.waitForGone(".room-item[data-room='" + older + "'] .badge");
    KonsilServer.Session annas = server.login(anna);
    JsonObject view = server.api().get("/api/v1/rooms/" + older, annas.accessToken()).json();
    assertEquals(0, view.getLong("unread"), "the read marker moved on the server");
    assertEquals(2, view.getLong("readSeq"));
  }

  /**
   * Scrolls to the top of the history until this many messages are shown. A scroll while a page is
   * still loading is ignored by the page, so the scroll is repeated, as a reader would.
   */
  private static void scrollUpUntil(Browser browser, int count) {
    browser.until(
        () -> {
          Object shown =
              browser.js(
                  "const scroller = document.querySelector('.scroller'); scroller.scrollTop = 0;"
                      + " return document.querySelectorAll('.messages .message[data-seq]').length;");
          return ((Long) shown) == count ? Boolean.TRUE : null;
        },
        count + " messages after scrolling up");
  }

  @Test
  void historyLoadsPageByPageWhenScrollingUp() {
    UUID room = room("Langer Verlauf");
    KonsilServer.Session toms = server.login(tom);
    for (int i = 1; i <= 120; i++) {
      server.sendRest(toms, room, "Eintrag " + i);
    }
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.waitForCount(".messages .message[data-seq]", 50);
    assertFalse(annasBrowser.present(".messages .start"), "more history to load");
    scrollUpUntil(annasBrowser, 100);
    scrollUpUntil(annasBrowser, 120);
    annasBrowser.find(".messages .start");
    assertGapFree(seqs(annasBrowser), 120);
  }

  @Test
  void droppedConnectionShowsBannerKeepsUnsentMessageAndResyncsWithoutLoss() {
    UUID room = room("Verbindungsabbruch");
    KonsilServer.Session toms = server.login(tom);
    server.sendRest(toms, room, "Vor dem Abbruch");
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.waitForCount(".messages .message[data-seq]", 1);

    server.stop();
    annasBrowser.find(".conn-banner");
    annasBrowser.send("Während des Abbruchs geschrieben");
    annasBrowser.waitForText(
        ".message.pending[data-state=sending] .content", "Während des Abbruchs");
    annasBrowser.press("#composer-text", "Entwurf bleibt");
    annasBrowser.screenshot("connection-lost");

    annasBrowser.find(".conn-banner #retry-now");
    annasBrowser.waitForText(".conn-banner", "Neuer Versuch in");

    server.start();
    KonsilServer.Session again = server.login(tom);
    for (int i = 1; i <= 3; i++) {
      server.sendRest(again, room, "Nach dem Abbruch " + i);
    }
    annasBrowser.reconnect();
    annasBrowser.waitForCount(".messages .message[data-seq]", 5);
    annasBrowser.waitForGone(".message.pending");
    // While the server was away the page's reconnect attempts were refused or answered 503 (a
    // stopping server); those are the outage this test makes, anything else is an error.
    for (Browser browser : List.of(annasBrowser, tomsBrowser)) {
      List<String> unexpected =
          browser.consoleErrors().stream()
              .filter(
                  error ->
                      !error.contains("ERR_CONNECTION_REFUSED") && !error.contains("status of 503"))
              .toList();
      assertEquals(List.of(), unexpected, "errors other than the outage's refused connections");
    }
    assertGapFree(seqs(annasBrowser), 5);
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE content = 'Während des Abbruchs geschrieben'"),
        "stored once");
    assertEquals("Entwurf bleibt", annasBrowser.attribute("#composer-text", "value"));
  }

  /** While the server was away, the pages' refused connections are the only errors. */
  private static void onlyTheOutageWasLogged() {
    for (Browser browser : List.of(annasBrowser, tomsBrowser)) {
      List<String> unexpected =
          browser.consoleErrors().stream()
              .filter(
                  error ->
                      !error.contains("ERR_CONNECTION_REFUSED") && !error.contains("status of 503"))
              .toList();
      assertEquals(List.of(), unexpected, "errors other than the outage's refused connections");
    }
  }

  @Test
  void anAttachmentPickedWhileOfflineWaitsAndGoesWhenTheConnectionIsBack() throws Exception {
    UUID room = room("Befund im Funkloch");
    annasBrowser.login(anna).openRoom(room);
    tomsBrowser.login(tom).openRoom(room);
    Path finding = Files.createTempFile("befund", ".pdf");
    try {
      Files.write(finding, Documents.pdf().getBytes());
      server.stop();
      annasBrowser.find(".conn-banner #retry-now");
      annasBrowser.find("#attach-file").sendKeys(finding.toAbsolutePath().toString());
      annasBrowser.waitForText(".upload[data-state=waiting]", "wartet auf die Verbindung");

      server.start();
      annasBrowser.reconnect();
      tomsBrowser.reconnect();
      String name = finding.getFileName().toString();
      tomsBrowser.waitForText(".message .attachment .file-name", name);
      annasBrowser.waitForText(".message.own .attachment .file-name", name);
      annasBrowser.waitForGone(".upload");
      assertEquals(
          1,
          server.count(
              "SELECT count(*) FROM messages WHERE kind = 'attachment' AND room_id = '"
                  + room
                  + "'"),
          "stored once");
      onlyTheOutageWasLogged();
    } finally {
      Files.deleteIfExists(finding);
    }
  }

  @Test
  void onAPhoneTheIdentityStaysInViewAndEnterOnTheTouchKeyboardMakesANewLine() {
    UUID room = room("Übergabe mobil");
    annasBrowser.login(anna).openRoom(room);
    Browser phone = Browser.open(server, 390, 844);
    try {
      phone
          .driver()
          .executeCdpCommand(
              "Emulation.setTouchEmulationEnabled", Map.of("enabled", true, "maxTouchPoints", 5));
      phone.login(tom);
      assertEquals(
          true, phone.js("return matchMedia('(pointer: coarse)').matches"), "a touch screen");
      phone.waitForText(".who", "Tom Berg · Pflegeheim Sonnenhof");
      phone.openRoom(room);
      phone.waitForText(".who", "Tom Berg");
      phone.press("#composer-text", "Zeile eins", Keys.ENTER, "Zeile zwei");
      assertEquals("Zeile eins\nZeile zwei", phone.attribute("#composer-text", "value"));
      assertEquals(
          0,
          server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"),
          "Enter sent nothing");
      phone.click("#composer button[type=submit]");
      String arrived = annasBrowser.waitForText(".message:not(.own) .content", "Zeile zwei");
      assertEquals("Zeile eins\nZeile zwei", arrived);
      phone.waitForText(".message.own[data-state=sent] .content", "Zeile zwei");
      phone.screenshot("phone");
      assertEquals(List.of(), phone.consoleErrors());
    } finally {
      phone.close();
    }
  }

  /** Presses Tab until the focused element matches the selector, as a keyboard user would. */
  @Test
  void aNurseLogsInOpensARoomAndAnswersWithTheKeyboardAlone() {
    UUID room = room("Nur Tastatur");
    server.sendRest(server.login(anna), room, "Können Sie heute die Wunde fotografieren?");
    tomsBrowser.forgetSession().visit("/");
    tomsBrowser.find("#login-email");
    tomsBrowser.driver().switchTo().activeElement().sendKeys(tom.email(), Keys.TAB);
    tomsBrowser.driver().switchTo().activeElement().sendKeys(tom.password(), Keys.ENTER);
    tomsBrowser.find(".room-item[data-room='" + room + "']");
    tomsBrowser.tabTo(".room-item[data-room='" + room + "']");
    tomsBrowser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    tomsBrowser.waitForText(".message .content", "Wunde fotografieren");
    tomsBrowser.until(
        () ->
            "composer-text".equals(tomsBrowser.js("return document.activeElement.id"))
                ? true
                : null,
        "the composer focused");
    tomsBrowser.driver().switchTo().activeElement().sendKeys("Ja, gegen 14 Uhr.", Keys.ENTER);
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.waitForText(".message:not(.own) .content", "Ja, gegen 14 Uhr.");
  }

  @Test
  void sessionSurvivesReloadWithoutReadableTokenAndLogoutLeavesNothing() {
    UUID room = room("Sitzung");
    annasBrowser.login(anna).openRoom(room);
    annasBrowser.driver().navigate().refresh();
    annasBrowser.find(".room-item[data-room='" + room + "']");
    assertEquals("", annasBrowser.js("return document.cookie"), "the refresh cookie is HttpOnly");
    String stored =
        (String)
            annasBrowser.js(
                "return JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage)])");
    assertTrue(stored.equals("[[],[]]") || stored.equals("[[\"konsil.lang\"],[]]"), stored);

    annasBrowser.click("#logout");
    annasBrowser.find("#login-form");
    stored =
        (String)
            annasBrowser.js(
                "return JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage)])");
    assertTrue(stored.equals("[[],[]]") || stored.equals("[[\"konsil.lang\"],[]]"), stored);
    Object refresh =
        annasBrowser.asyncJs(
            "const done = arguments[0];"
                + "fetch('/api/v1/auth/refresh', {method: 'POST', headers: {'Konsil-Session':"
                + " 'cookie', 'Content-Type': 'application/json'}, body: '{}'})"
                + ".then(r => done(r.status))");
    assertEquals(401L, refresh, "no refresh cookie is left after logout");
    annasBrowser.driver().navigate().refresh();
    annasBrowser.find("#login-form");
  }

  @Test
  void loginErrorsAreShownInTheChosenLanguage() {
    annasBrowser.forgetSession().visit("/");
    annasBrowser.js("localStorage.removeItem('konsil.lang')");
    annasBrowser.visit("/");
    annasBrowser.type("#login-email", anna.email()).type("#login-password", "wrong password!");
    annasBrowser.click("#login-submit");
    annasBrowser.waitForText(".error", "E-Mail-Adresse oder Passwort ist falsch.");
    annasBrowser.screenshot("login");
    annasBrowser.click(".lang");
    annasBrowser.type("#login-email", anna.email()).type("#login-password", "wrong password!");
    annasBrowser.click("#login-submit");
    annasBrowser.waitForText(".error", "E-mail address or password is wrong.");
    annasBrowser.click(".lang");
    annasBrowser.find("#login-form");
  }
}
