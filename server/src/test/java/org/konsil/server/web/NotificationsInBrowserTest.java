package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.KonsilServer;

/**
 * A nurse keeps Konsil open in a background tab all day: new messages show as a count in the tab's
 * title and icon, and as a browser notification that names the sender's organisation only.
 */
class NotificationsInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static KonsilServer.TestOrg practice;
  static KonsilServer.TestOrg careHome;
  static KonsilServer.TestUser anna;
  static KonsilServer.TestUser tom;
  static Browser tomsBrowser;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice", "Praxis Dr. Weber");
    careHome = server.organisation("care_home", "Pflegeheim Sonnenhof");
    anna = server.user(practice, "Dr. Anna Weber");
    tom = server.user(careHome, "Tom Berg");
    tomsBrowser = Browser.open(server);
  }

  @AfterAll
  static void tearDown() {
    if (tomsBrowser != null) {
      tomsBrowser.close();
    }
  }

  @AfterEach
  void pageLoggedNoErrors() {
    assertEquals(List.of(), tomsBrowser.consoleErrors(), "script errors or refused loads");
  }

  private static long shown() {
    return (Long) tomsBrowser.js("return window.notifications.length");
  }

  @Test
  void aMessageWhileTheTabIsInTheBackgroundShowsANotificationWithoutPatientData() {
    KonsilServer.Session annas = server.login(anna);
    UUID room = server.room(annas, careHome.id());
    tomsBrowser.login(tom);
    tomsBrowser.find(".room-item[data-room='" + room + "']");
    assertEquals("Konsil", tomsBrowser.driver().getTitle());

    // asked on the nurse's click, not when the page opens
    tomsBrowser.find("#enable-notifications");
    assertEquals("default", tomsBrowser.js("return Notification.permission"));
    tomsBrowser
        .driver()
        .executeCdpCommand(
            "Browser.grantPermissions",
            Map.of(
                "origin",
                "http://localhost:" + server.port(),
                "permissions",
                List.of("notifications")));
    tomsBrowser.click("#enable-notifications");
    tomsBrowser.waitForGone("#enable-notifications");
    assertEquals("granted", tomsBrowser.js("return Notification.permission"));
    // every notification the page shows is noted here (the real one is shown as well)
    tomsBrowser.js(
        "window.notifications = []; const Shown = window.Notification;"
            + " window.Notification = class extends Shown { constructor(title, options) {"
            + " super(title, options); window.notifications.push({note: this, title,"
            + " body: options.body, visibility: document.visibilityState}); } };");

    // while she looks at Konsil: the count, no notification
    tomsBrowser
        .driver()
        .executeCdpCommand("Emulation.setFocusEmulationEnabled", Map.of("enabled", true));
    server.sendRest(annas, room, "Bitte heute Blutdruck messen.");
    tomsBrowser.until(
        () -> "(1) Konsil".equals(tomsBrowser.driver().getTitle()) ? true : null,
        "(1) in the title");
    assertEquals(0, shown(), "no notification while the page is looked at");
    tomsBrowser.until(
        () ->
            String.valueOf(tomsBrowser.js("return document.querySelector('link[rel=icon]').href"))
                    .startsWith("data:image/png;base64,")
                ? true
                : null,
        "the icon carries the count");

    // in the background
    // in the background: a minimised window hides its page, as a tab behind others does (the
    // focus emulation that made the headless page count as looked at is switched off for it)
    tomsBrowser.driver().manage().window().minimize();
    tomsBrowser
        .driver()
        .executeCdpCommand("Emulation.setFocusEmulationEnabled", Map.of("enabled", false));
    tomsBrowser.until(
        () -> "hidden".equals(tomsBrowser.js("return document.visibilityState")) ? true : null,
        "the page hidden");
    server.sendRest(annas, room, "Frau Musterfrau hat 39,2 Fieber.");
    tomsBrowser.until(() -> shown() == 1 ? true : null, "a notification");
    assertEquals(
        "Neue Nachricht in Konsil|Von Praxis Dr. Weber|hidden",
        tomsBrowser.js(
            "const n = window.notifications[0]; return [n.title, n.body, n.visibility].join('|')"),
        "the organisation only: neither the patient nor the message");
    tomsBrowser.until(
        () -> "(2) Konsil".equals(tomsBrowser.driver().getTitle()) ? true : null,
        "(2) in the title");

    // a click on the notification brings Konsil back with the room open, read
    tomsBrowser.driver().manage().window().setSize(new org.openqa.selenium.Dimension(1280, 860));
    tomsBrowser
        .driver()
        .executeCdpCommand("Emulation.setFocusEmulationEnabled", Map.of("enabled", true));
    tomsBrowser.until(
        () -> "visible".equals(tomsBrowser.js("return document.visibilityState")) ? true : null,
        "the page visible again");
    tomsBrowser.js("window.notifications[0].note.onclick()");
    tomsBrowser.find(".room[data-room='" + room + "'] #composer-text");
    tomsBrowser.waitForText(".message .content", "39,2 Fieber");
    tomsBrowser.until(
        () -> "Konsil".equals(tomsBrowser.driver().getTitle()) ? true : null, "no count once read");
    tomsBrowser.until(
        () ->
            String.valueOf(
                        tomsBrowser.js(
                            "return new URL(document.querySelector('link[rel=icon]').href).pathname"))
                    .matches("/favicon\\.[0-9a-f]{12}\\.svg")
                ? true
                : null,
        "the plain icon again");
  }
}
