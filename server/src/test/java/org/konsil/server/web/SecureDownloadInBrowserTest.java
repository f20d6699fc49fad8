package org.konsil.server.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Mailbox;
import org.konsil.server.testkit.Scratch;

/**
 * The recipient of a secure delivery opens the link from the e-mail in the browser, types the birth
 * date and saves the document: the bytes that arrive are the ones the practice sent.
 */
class SecureDownloadInBrowserTest {

  static final int SMTP_PORT = KonsilServer.freePort();

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

  static Browser browser;

  @AfterAll
  static void tearDown() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void theRecipientOpensTheLinkTypesTheBirthDateAndSavesTheDocument() throws Exception {
    KonsilServer.TestOrg practice = server.organisation("practice", "Praxis am Markt");
    KonsilServer.Session anna = server.login(practice.admin());
    Api.Response patient =
        server
            .api()
            .post(
                "/api/v1/patients",
                new JsonObject()
                    .put("familyName", "Brandt")
                    .put("givenName", "Helga")
                    .put("birthDate", "1952-11-04")
                    .put("email", "helga.brandt@example.org"),
                anna.accessToken());
    assertEquals(201, patient.status(), patient.body());
    Buffer finding = Documents.pdf();
    Api.Response sent =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/"
                    + patient.json().getString("id")
                    + "/deliveries?recipient=patient&documentKind=findings"
                    + "&verification=birth_date&fileName=Befund.pdf",
                anna.accessToken(),
                "application/pdf",
                finding);
    assertEquals(201, sent.status(), sent.body());
    Matcher link =
        Pattern.compile("(http://localhost:\\d+/download#[A-Za-z0-9_-]{43})")
            .matcher(Mailbox.firstTextTo(mail, "helga.brandt@example.org"));
    assertTrue(link.find(), "the link in the mail");

    browser = Browser.open(server);
    Path downloads = Scratch.folder("konsil-downloads");
    browser
        .driver()
        .executeCdpCommand(
            "Browser.setDownloadBehavior",
            Map.of("behavior", "allow", "downloadPath", downloads.toString()));
    browser.driver().get(link.group(1));
    browser.waitForText(".download-card", "Praxis am Markt");
    assertEquals("TT.MM.JJJJ", browser.attribute("#download-value", "placeholder"));
    browser.screenshot("secure-download");

    // a wrong date first: the page says so and counts
    browser.type("#download-value", "11.04.1952");
    browser.click("#download-submit");
    browser.waitForText("#download-error", "stimmt nicht");
    // typed as people write it
    browser.type("#download-value", "04.11.1952");
    browser.click("#download-submit");
    browser.waitForText("#download-done", "Befund.pdf");
    Path saved = downloads.resolve("Befund.pdf");
    browser.until(() -> Files.exists(saved) ? true : null, "the saved file");
    assertArrayEquals(finding.getBytes(), Files.readAllBytes(saved));
    try (Stream<Path> files = Files.list(downloads)) {
      assertEquals(List.of(saved), files.toList(), "one file, no partial download left");
    }
    // the problem answer to the wrong date is the only error the page logged
    assertTrue(
        browser.consoleErrors().stream().allMatch(e -> e.contains("403")),
        "no script errors or refused loads");

    // the sender's view on the patient's page: downloaded, when, to which address
    browser.login(practice.admin());
    browser.visit("/#/patients/" + patient.json().getString("id"));
    String row = browser.waitForText("#delivery-list li", "heruntergeladen");
    assertTrue(row.contains("helga.brandt@example.org") && row.contains("Befund.pdf"), row);
    assertEquals(List.of(), browser.consoleErrors(), "the patient's page logged no errors");
  }
}
