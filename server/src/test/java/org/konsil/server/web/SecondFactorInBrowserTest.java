package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.accounts.Totp;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.KonsilServer;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;

/**
 * A nurse sets up her authenticator app by scanning the QR code on the screen, keeps the recovery
 * codes, and a doctor whose clinic requires a second factor finds a way out of the set-up page.
 */
class SecondFactorInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static KonsilServer.TestOrg careHome;
  static Browser browser;

  @BeforeAll
  static void setUp() {
    careHome = server.organisation("care_home", "Pflegeheim Sonnenhof");
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
    assertEquals(List.of(), browser.consoleErrors(), "script errors or refused loads");
  }

  /** What an authenticator app reads from the QR code on the screen. */
  private static String scannedQrCode() throws Exception {
    browser.until(
        () ->
            Boolean.TRUE.equals(
                    browser.js(
                        "const img = document.getElementById('enrol-qr');"
                            + " return Boolean(img && img.complete && img.naturalWidth > 0);"))
                ? true
                : null,
        "the QR code drawn");
    byte[] png = browser.find("#enrol-qr").getScreenshotAs(OutputType.BYTES);
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    int[] pixels =
        image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    RGBLuminanceSource source = new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels);
    return new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source))).getText();
  }

  private static String query(String uri, String name) {
    for (String pair : URI.create(uri).getRawQuery().split("&")) {
      String[] parts = pair.split("=", 2);
      if (parts[0].equals(name)) {
        return URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  @Test
  void theSecondFactorIsSetUpWithTheKeyboardAlone() {
    KonsilServer.TestUser jonas = server.user(careHome, "Jonas Tast");
    browser.login(jonas);
    browser.find("a[href='#/settings']");
    browser.tabTo("a[href='#/settings']");
    browser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    browser.find("#setup-second-factor");
    browser.tabTo("#setup-second-factor");
    browser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    String secret = browser.text("#enrol-secret");
    browser.tabTo("#enrol-code");
    long step = server.clock.instant().getEpochSecond() / 30;
    browser.driver().switchTo().activeElement().sendKeys(Totp.codeAt(secret, step), Keys.ENTER);
    browser.waitForCount("#recovery-codes li", 10);
    browser.tabTo("#enrol-continue");
    browser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
    browser.waitForGone("#recovery-codes");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM users WHERE totp_enabled AND email = '" + jonas.email() + "'"),
        "set up with Tab, typing and Enter alone");
  }

  @Test
  void aNurseScansTheQrCodeSwitchesLanguageAndKeepsTheRecoveryCodes() throws Exception {
    KonsilServer.TestUser petra = server.user(careHome, "Petra Lind");
    browser.login(petra);
    browser.click("a[href='#/settings']");
    browser.waitForText("#second-factor-state", "Noch kein zweiter Faktor eingerichtet.");
    browser.click("#setup-second-factor");

    String scanned = scannedQrCode();
    assertTrue(scanned.startsWith("otpauth://totp/"), scanned);
    assertTrue(URLDecoder.decode(scanned, StandardCharsets.UTF_8).contains(petra.email()), scanned);
    String secret = query(scanned, "secret");
    assertEquals(browser.text("#enrol-secret"), secret, "the QR code holds the key shown as text");
    browser.screenshot("second-factor");

    browser.click(".lang");
    browser.waitForText("#enrol-form h1", "Set up a second factor");
    assertEquals(secret, browser.text("#enrol-secret"), "the language switch keeps the key");
    assertEquals(scanned, scannedQrCode());
    browser.click(".lang");
    browser.waitForText("#enrol-form h1", "Zweiten Faktor einrichten");

    // the way out: back to the settings, nothing switched on
    browser.click("#enrol-cancel");
    browser.waitForText("#second-factor-state", "Noch kein zweiter Faktor eingerichtet.");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM users WHERE totp_enabled AND email = '" + petra.email() + "'"));

    browser.click("#setup-second-factor");
    assertEquals(secret, browser.text("#enrol-secret"), "coming back shows the same key");
    long step = server.clock.instant().getEpochSecond() / 30;
    browser.type("#enrol-code", "000000").press("#enrol-code", Keys.ENTER);
    browser.waitForText("#enrol-form .error", "Der Code ist falsch");
    browser.type("#enrol-code", Totp.codeAt(secret, step)).press("#enrol-code", Keys.ENTER);
    browser.waitForCount("#recovery-codes li", 10);
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM users WHERE totp_enabled AND email = '" + petra.email() + "'"));
    String shown =
        (String)
            browser.js(
                "return [...document.querySelectorAll('#recovery-codes li')]"
                    + ".map(li => li.textContent).join('\\n')");

    browser
        .driver()
        .executeCdpCommand(
            "Browser.grantPermissions",
            Map.of(
                "origin",
                "http://localhost:" + server.port(),
                "permissions",
                List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
    browser.click("#copy-codes");
    browser.waitForText(".recovery .notice", "Die Codes sind in der Zwischenablage.");
    Object clipboard =
        browser.asyncJs(
            "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done(String(e)))");
    assertEquals(shown, clipboard, "the recovery codes, one a line");

    // printed, the page shows the codes and nothing else
    browser.driver().executeCdpCommand("Emulation.setEmulatedMedia", Map.of("media", "print"));
    try {
      assertEquals(
          "visible|hidden|none",
          browser.js(
              "const style = (css) => getComputedStyle(document.querySelector(css));"
                  + " return [style('#recovery-codes li').visibility, style('.top').visibility,"
                  + " style('#print-codes').display].join('|')"));
    } finally {
      browser.driver().executeCdpCommand("Emulation.setEmulatedMedia", Map.of("media", ""));
    }
    browser.js("window.printed = 0; window.print = () => { window.printed += 1; };");
    browser.click("#print-codes");
    assertEquals(1L, browser.js("return window.printed"), "the print dialog is asked for");

    browser.click("#enrol-continue");
    browser.waitForText(
        "#second-factor-state", "Ein zweiter Faktor (Authenticator-App) ist eingerichtet.");
  }

  @Test
  void aDoctorWhoseClinicRequiresTheSecondFactorCanLeaveTheSetUpByLoggingOut() {
    KonsilServer.TestOrg clinic = server.organisation("clinic", "Klinikum Nord");
    KonsilServer.Session admin = server.login(clinic.admin());
    assertEquals(
        200,
        server
            .api()
            .patch(
                "/api/v1/organisation",
                new JsonObject().put("requireSecondFactor", true),
                admin.accessToken())
            .status());
    KonsilServer.TestUser doctor = server.user(clinic, "Dr. Jan Nord");
    browser.forgetSession().visit("/");
    browser.type("#login-email", doctor.email()).type("#login-password", doctor.password());
    browser.click("#login-submit");
    String secret = browser.text("#enrol-secret");
    browser.click(".lang");
    browser.waitForText("#enrol-form h1", "Set up a second factor");
    assertEquals(secret, browser.text("#enrol-secret"), "the language switch keeps the key");
    browser.click(".lang");
    browser.click("#enrol-cancel");
    browser.find("#login-form");
    Object refresh =
        browser.asyncJs(
            "const done = arguments[0];"
                + "fetch('/api/v1/auth/refresh', {method: 'POST', headers: {'Konsil-Session':"
                + " 'cookie', 'Content-Type': 'application/json'}, body: '{}'})"
                + ".then(r => done(r.status))");
    assertEquals(401L, refresh, "logged out: no session is left");
  }
}
