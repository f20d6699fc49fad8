package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
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
 * A practice and a care home talk about a resident over a day: the nurse answers a question by
 * quoting it, the doctor corrects a dose she mistyped and the nurse sees the correction at once,
 * the doctor sees when the nurse has read her message, the nurse finds the resident and a message
 * by search, and a link one of them sent opens safely.
 */
class ConversationInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static KonsilServer.TestOrg careHome;
  static KonsilServer.TestUser anna;
  static KonsilServer.TestUser tom;
  static Browser annasBrowser;
  static Browser tomsBrowser;

  @BeforeAll
  static void twoOrganisationsAndTwoBrowsers() {
    KonsilServer.TestOrg practice = server.organisation("practice", "Praxis Dr. Weber");
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

  /** What axe-core finds of impact serious or critical on the page as it is now. */
  private static List<String> seriousOrWorse(Browser browser) {
    return browser.accessibilityViolations().stream()
        .filter(line -> line.startsWith("serious") || line.startsWith("critical"))
        .toList();
  }

  @Test
  void theNurseQuotesTheQuestionAndTheDoctorCorrectsADoseBothSeeItLive() {
    UUID room = room("Frau M., Zimmer 4");
    annasBrowser.login(anna).openRoom(room);
    tomsBrowser.login(tom).openRoom(room);

    annasBrowser.send("Hat Frau M. heute Fieber gehabt?");
    annasBrowser.send("Bitte Ramipril 50 mg morgens geben.");
    tomsBrowser.waitForText(".message .content", "Ramipril 50 mg");

    // Tom answers the first question by quoting it
    tomsBrowser.click(".message[data-seq='1'] .reply");
    tomsBrowser.waitForText("#relation-bar", "Hat Frau M. heute Fieber gehabt?");
    tomsBrowser.send("Nein, 36,8 °C am Morgen.");
    String quoted = annasBrowser.waitForText(".message:not(.own) .quote", "Fieber gehabt?");
    assertTrue(quoted.contains("Dr. Anna Weber"), "the quote names the quoted sender: " + quoted);
    annasBrowser.waitForText(".message:not(.own) .content", "36,8 °C");
    tomsBrowser.waitForCount("#relation-bar[hidden]", 1);

    // Anna mistyped the dose and corrects it within minutes
    annasBrowser.click(".message.own[data-seq='2'] .correct");
    annasBrowser.waitForText("#relation-bar", "korrigieren");
    assertEquals(
        "Bitte Ramipril 50 mg morgens geben.",
        annasBrowser.find("#composer-text").getAttribute("value"),
        "the text to correct is in the composer");
    annasBrowser.type("#composer-text", "Bitte Ramipril 5 mg morgens geben.");
    annasBrowser.press("#composer-text", Keys.ENTER);

    tomsBrowser.waitForText(".message[data-seq='2'] .content", "Ramipril 5 mg");
    tomsBrowser.waitForText(".message[data-seq='2'] .corrected", "korrigiert");
    assertEquals(
        3L,
        tomsBrowser.js("return document.querySelectorAll('.messages .message[data-seq]').length"),
        "the correction shows on the corrected message, not as a message of its own");
    tomsBrowser.click(".message[data-seq='2'] .original summary");
    tomsBrowser.waitForText(".message[data-seq='2'] .original", "Ramipril 50 mg");
    annasBrowser.waitForText(".message.own[data-seq='2'] .corrected", "korrigiert");
    tomsBrowser.screenshot("reply-and-correction");
    assertEquals(List.of(), seriousOrWorse(tomsBrowser), "quotes, corrections and their buttons");

    // after a reload the history tells the same
    tomsBrowser.visit("/#/rooms/" + room);
    tomsBrowser.waitForText(".message[data-seq='2'] .content", "Ramipril 5 mg");
    tomsBrowser.waitForText(".message[data-seq='2'] .corrected", "korrigiert");
    tomsBrowser.waitForText(".message[data-seq='3'] .quote", "Fieber gehabt?");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE room_id = '"
                + room
                + "' AND content = 'Bitte Ramipril 50 mg morgens geben.'"),
        "the first text stays stored");
    assertFalse(tomsBrowser.present(".message:not(.own) .correct"), "only own messages");
  }

  @Test
  void theDoctorSeesLiveWhenTheNurseHasReadHerMessage() {
    UUID room = room("Herr P., Blutdruck");
    annasBrowser.login(anna).openRoom(room);
    tomsBrowser.login(tom);

    annasBrowser.send("Bitte heute Abend den Blutdruck messen.");
    annasBrowser.waitForText(".message.own[data-seq='1'] .state", "gesendet");

    tomsBrowser.openRoom(room);
    annasBrowser.waitForText(".message.own[data-seq='1'] .state.receipt", "gelesen");
    String who = annasBrowser.attribute(".message.own[data-seq='1'] .state.receipt", "title");
    assertEquals("Gelesen von Tom Berg (Pflegeheim Sonnenhof)", who);

    // the next message is not read until Tom's page shows it; then it is, live again
    tomsBrowser.visit("/#/");
    tomsBrowser.find(".room-list");
    annasBrowser.send("Und bitte Gewicht.");
    annasBrowser.waitForText(".message.own[data-seq='2'] .state", "gesendet");
    assertEquals("gelesen", annasBrowser.text(".message.own[data-seq='1'] .state"));
    tomsBrowser.openRoom(room);
    annasBrowser.waitForText(".message.own[data-seq='2'] .state.receipt", "gelesen");
    annasBrowser.screenshot("read-receipt");
  }

  @Test
  void theNurseFindsThePatientAndAMessageBySearchAndTheListShowsTheNewestMessage() {
    KonsilServer.Session session = server.login(anna);
    UUID patient = server.patient(session, "Hollerbach");
    assertEquals(
        201,
        server
            .uploadConsent(session, patient, Documents.pdf(), "application/pdf", careHome.id())
            .status());
    UUID room =
        UUID.fromString(server.patientRoom(session, patient, careHome.id()).json().getString("id"));
    server.sendRest(session, room, "Sturz in der Nacht, bitte Hüfte röntgen lassen");

    tomsBrowser.login(tom);
    String roomItem = ".room-item[data-room='" + room + "'] .room-preview";
    tomsBrowser.waitForText(roomItem, "Dr. Anna Weber: Sturz in der Nacht");

    tomsBrowser.type("#search-input", "hollerb").press("#search-input", Keys.ENTER);
    tomsBrowser.waitForText("#found-patients", "Hollerbach, Erika");
    tomsBrowser.type("#search-input", "Hüfte röntg").press("#search-input", Keys.ENTER);
    tomsBrowser.waitForText("#found-messages", "bitte Hüfte röntgen lassen");
    tomsBrowser.screenshot("search");
    assertEquals(List.of(), seriousOrWorse(tomsBrowser), "the search results and the previews");

    server.sendRest(session, room, "Röntgen ist für 14 Uhr bestellt.");
    tomsBrowser.waitForText(roomItem, "Röntgen ist für 14 Uhr bestellt.");
    tomsBrowser.click("#found-messages a");
    tomsBrowser.find(".room[data-room='" + room + "'] #composer-text");
    tomsBrowser.waitForText(".message .content", "Hüfte röntgen");
  }

  @Test
  void linksInMessagesOpenSafelyAndNothingElseBecomesALink() {
    UUID room = room("Leitlinien");
    annasBrowser.login(anna).openRoom(room);
    tomsBrowser.login(tom).openRoom(room);

    annasBrowser.send(
        "Siehe https://www.awmf.org/leitlinien/detail/ll/053-004.html, und nicht"
            + " javascript:alert(1) <a href=x>hier</a>");
    tomsBrowser.waitForText(".message .content", "nicht javascript:alert(1)");
    List<?> links =
        (List<?>)
            tomsBrowser.js(
                "return [...document.querySelectorAll('.message .content a')]"
                    + ".map(a => [a.getAttribute('href'), a.rel, a.target, a.textContent])");
    assertEquals(1, links.size(), "one link: " + links);
    assertEquals(
        List.of(
            "https://www.awmf.org/leitlinien/detail/ll/053-004.html",
            "noopener noreferrer",
            "_blank",
            "https://www.awmf.org/leitlinien/detail/ll/053-004.html"),
        links.get(0),
        "the comma after the address is not part of it");
    assertTrue(
        tomsBrowser.text(".message .content").contains("<a href=x>hier</a>"),
        "markup a partner typed stays text");
  }
}
