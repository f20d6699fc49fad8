package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
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

/**
 * Every view of the web client checked by axe-core inside Chromium, in the light and the dark
 * colour scheme, and the page following the system's wish for less motion.
 */
class AccessibilityInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static KonsilServer.TestOrg practice;
  static KonsilServer.TestOrg careService;
  static KonsilServer.TestUser admin;
  static UUID generalRoom;
  static UUID patientRoom;
  static Browser browser;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice", "Praxis Dr. Weber");
    careService = server.organisation("care_service", "Pflegedienst Lindenhof");
    admin = practice.admin();
    KonsilServer.Session session = server.login(admin);
    generalRoom = server.room(session, careService.id());
    server.sendRest(
        session, generalRoom, "Bitte den Medikationsplan prüfen: https://konsil.test/plan");
    UUID patient = server.patient(session, "Musterfrau");
    assertEquals(
        201,
        server
            .uploadConsent(session, patient, Documents.pdf(), "application/pdf", careService.id())
            .status());
    patientRoom =
        UUID.fromString(
            server.patientRoom(session, patient, careService.id()).json().getString("id"));
    server.sendRest(session, patientRoom, "Kompressionsstrümpfe ab Montag.");
    browser = Browser.open(server);
  }

  @AfterAll
  static void tearDown() {
    if (browser != null) {
      browser.close();
    }
  }

  @AfterEach
  void pageLoggedNoErrors() {
    browser.driver().executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of()));
    assertEquals(List.of(), browser.consoleErrors(), "script errors or refused loads");
  }

  private static void scheme(String name) {
    browser
        .driver()
        .executeCdpCommand(
            "Emulation.setEmulatedMedia",
            Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", name))));
  }

  private static void check(Map<String, List<String>> found, String view) {
    List<String> problems = browser.accessibilityViolations();
    if (!problems.isEmpty()) {
      found.put(view, problems);
    }
  }

  @Test
  void everyViewHasNoAccessibilityViolationsInLightAndDarkMode() {
    Map<String, List<String>> found = new LinkedHashMap<>();
    for (String scheme : List.of("light", "dark")) {
      scheme(scheme);
      browser.forgetSession().visit("/");
      browser.find("#login-form");
      check(found, scheme + " login");
      browser.visit("/register");
      browser.find("#register-form");
      check(found, scheme + " register");

      browser.login(admin);
      browser.find(".room-item[data-room='" + generalRoom + "']");
      check(found, scheme + " room list");
      browser.openRoom(generalRoom);
      browser.waitForText(".message .content", "Medikationsplan");
      check(found, scheme + " room");
      browser.openRoom(patientRoom);
      browser.waitForText(".consent-banner.active", "Einwilligung");
      browser.click("#revoke-consent");
      browser.click("#add-partner");
      check(found, scheme + " patient room");
      browser.click("#new-room");
      browser.find("#new-room-form");
      browser.click("#kind-patient");
      check(found, scheme + " new room");
      browser.click("a[href='#/admin']");
      browser.find(".users tr[data-user]");
      check(found, scheme + " admin");
      browser.click("a[href='#/settings']");
      browser.click("#setup-second-factor");
      browser.find("#enrol-qr");
      check(found, scheme + " second factor");
    }
    assertEquals(Map.of(), found, "axe-core violations by view");
  }

  @Test
  void thePageFollowsTheSystemsColourSchemeAndWishForLessMotion() {
    browser.login(admin);
    browser.find(".room-item[data-room='" + generalRoom + "']");
    String script =
        "const body = getComputedStyle(document.body).backgroundColor;"
            + " const button = getComputedStyle(document.getElementById('logout'));"
            + " return body + '|' + button.transitionDuration.split(',')[0];";
    browser
        .driver()
        .executeCdpCommand(
            "Emulation.setEmulatedMedia",
            Map.of(
                "features",
                List.of(
                    Map.of("name", "prefers-color-scheme", "value", "light"),
                    Map.of("name", "prefers-reduced-motion", "value", "no-preference"))));
    assertEquals("rgb(244, 247, 248)|0.12s", browser.js(script));
    browser
        .driver()
        .executeCdpCommand(
            "Emulation.setEmulatedMedia",
            Map.of(
                "features",
                List.of(
                    Map.of("name", "prefers-color-scheme", "value", "dark"),
                    Map.of("name", "prefers-reduced-motion", "value", "reduce"))));
    String dark = (String) browser.js(script);
    assertEquals("rgb(17, 24, 27)|0s", dark, "dark, and without transitions");
    browser.openRoom(generalRoom);
    browser.waitForText(".message .content", "Medikationsplan");
    browser.screenshot("dark");
  }
}
