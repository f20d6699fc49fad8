package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.accounts.Totp;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.KonsilServer;
import org.openqa.selenium.Keys;

/**
 * A practice's admin hands the administration to a colleague and resets the second factor of a
 * doctor who lost her phone, from the admin page.
 */
class MemberAdministrationInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static Browser browser;

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void theAdminMakesAColleagueAdminAndResetsALostSecondFactor() {
    KonsilServer.TestOrg practice = server.organisation("practice", "Praxis Dr. Weber");
    KonsilServer.TestUser anna = server.user(practice, "Dr. Anna Weber");
    KonsilServer.Session annas = server.login(anna);
    KonsilServer.TestUser mia = server.user(practice, "Mia Kraus");
    KonsilServer.TestUser lena = server.user(practice, "Dr. Lena Fuchs");
    KonsilServer.Session lenas = server.login(lena);
    String secret =
        server
            .api()
            .post("/api/v1/me/second-factor", null, lenas.accessToken())
            .json()
            .getString("secret");
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject()
                    .put("code", Totp.codeAt(secret, server.clock.instant().getEpochSecond() / 30)),
                lenas.accessToken())
            .status());
    server
        .api()
        .put(
            "/api/v1/organisation/users/" + annas.userId() + "/role",
            new JsonObject().put("role", "admin"),
            server.login(practice.admin()).accessToken());

    browser = Browser.open(server);
    browser.login(anna).visit("/#/admin");
    String mias = "tr[data-user='" + server.login(mia).userId() + "']";
    browser.click(mias + " .role-change");
    browser.waitForText(".status-slot", "Mia Kraus");
    browser.waitForText(mias, "Administration");

    String lenasRow = "tr[data-user='" + lenas.userId() + "']";
    browser.click(lenasRow + " .reset-2fa");
    browser.waitForText(lenasRow + " .reset-2fa", "Wirklich zurücksetzen?");
    browser.click(lenasRow + " .reset-2fa");
    browser.waitForText(".status-slot", "Dr. Lena Fuchs ist zurückgesetzt");
    browser.waitForGone(lenasRow + " .reset-2fa");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM users WHERE totp_enabled AND id = '" + lenas.userId() + "'"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM users WHERE role = 'admin' AND display_name = 'Mia Kraus'"));
    List<String> serious =
        browser.accessibilityViolations().stream()
            .filter(line -> line.startsWith("serious") || line.startsWith("critical"))
            .toList();
    assertEquals(List.of(), serious);
    assertEquals(List.of(), browser.consoleErrors(), "script errors or refused loads");

    // and a new colleague is added with the keyboard alone
    browser.tabTo("#user-name");
    browser.driver().switchTo().activeElement().sendKeys("Ole Tast");
    browser.tabTo("#user-email");
    browser.driver().switchTo().activeElement().sendKeys("ole.tast@praxis.example", Keys.ENTER);
    browser.waitForText(".status-slot", "ole.tast@praxis.example");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM users WHERE email = 'ole.tast@praxis.example'"
                + " AND organisation_id = '"
                + practice.id()
                + "'"),
        "added with Tab, typing and Enter alone");
  }
}
