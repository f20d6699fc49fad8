package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.KonsilServer;

/**
 * The client's files carry a hash of their content in their names and are cached for good; the page
 * is never cached. A nurse who opens Konsil again the next morning downloads the page and her data,
 * not the client.
 */
class CachingInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static final Pattern MAIN = Pattern.compile("src=\"(/js/main\\.[0-9a-f]{12}\\.js)\"");

  @Test
  void thePageIsNeverCachedAndItsFilesAreImmutableUnderHashedNames() {
    for (String page : List.of("/", "/register", "/set-password")) {
      Api.Response html = server.api().get(page, null);
      assertEquals(200, html.status(), page);
      assertEquals("no-store", html.headers().get("Cache-Control"), page);
      assertTrue(html.body().contains("href=\"/app."), html.body());
    }
    String body = server.api().get("/", null).body();
    Matcher main = MAIN.matcher(body);
    assertTrue(main.find(), body);
    Matcher css = Pattern.compile("href=\"(/app\\.[0-9a-f]{12}\\.css)\"").matcher(body);
    assertTrue(css.find(), body);

    Api.Response script = server.api().get(main.group(1), null);
    assertEquals(200, script.status());
    assertEquals("public, max-age=31536000, immutable", script.headers().get("Cache-Control"));
    assertTrue(script.headers().get("Content-Type").startsWith("text/javascript"));
    // its imports name the hashed files too, so a cached script never loads an outdated module
    assertTrue(
        Pattern.compile("from '/js/api\\.[0-9a-f]{12}\\.js'").matcher(script.body()).find(),
        script.body());
    assertTrue(!script.body().contains("from './"), "no plain import left");
    assertEquals(
        "public, max-age=31536000, immutable",
        server.api().get(css.group(1), null).headers().get("Cache-Control"));

    // a wrong hash is not the file
    assertEquals(404, server.api().get("/js/main.000000000000.js", null).status());
  }

  @Test
  void aSecondVisitDownloadsLessThanFiveKilobytes() {
    KonsilServer.TestOrg careHome = server.organisation("care_home", "Pflegeheim Sonnenhof");
    KonsilServer.TestUser nurse = server.user(careHome, "Petra Lind");
    KonsilServer.TestOrg practice = server.organisation("practice", "Praxis Dr. Weber");
    UUID room = server.room(server.login(server.user(practice, "Dr. Anna Weber")), careHome.id());
    Browser browser = Browser.openMeasuring(server);
    try {
      browser.login(nurse);
      browser.find(".room-item[data-room='" + room + "']");
      browser.until(
          () ->
              Boolean.TRUE.equals(
                          browser.js("return document.querySelector('.conn-banner').hidden"))
                      && browser.present(".conn-banner[data-state=online]")
                  ? true
                  : null,
          "connected");
      long first = browser.downloadedBytes();

      browser.visit("/");
      browser.find(".room-item[data-room='" + room + "']");
      browser.until(
          () -> browser.present(".conn-banner[data-state=online]") ? true : null, "connected");
      long second = browser.downloadedBytes();
      assertTrue(first > 20_000, "the first visit loads the client: " + first + " bytes");
      assertTrue(second < 5_000, "the second visit: " + second + " bytes");
      assertEquals(List.of(), browser.consoleErrors());
    } finally {
      browser.close();
    }
  }
}
