package org.konsil.desktop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.DatabaseDump;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.openqa.selenium.Keys;

/**
 * Two clinicians, each with Konsil Desktop on their computer and its page in their browser, write
 * in an end-to-end encrypted room as they would in a plain one: a message each way, live, then the
 * history after a reload. The server's database holds neither text.
 */
class CompanionInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static Vertx vertx;

  @TempDir Path temp;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void twoCompanionsTwoBrowsersAMessageEachWayInAnEncryptedRoom() throws Exception {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestUser anna = server.user(practice, "Anna Berger");
    TestUser bob = server.user(careHome, "Bob Lindner");
    UUID room = Desk.room(server, anna, careHome.id(), true);
    Desk annasComputer = Desk.start(vertx, server, anna, temp.resolve("anna"), true);
    Desk bobsComputer = Desk.start(vertx, server, bob, temp.resolve("bob"), true);
    try (Browser annasBrowser = Browser.at(annasComputer.origin());
        Browser bobsBrowser = Browser.at(bobsComputer.origin())) {
      // the link the companion shows opens the page signed in, without a password
      annasBrowser.visit(annasComputer.loginPath());
      annasBrowser.find(".room-list");
      bobsBrowser.visit(bobsComputer.loginPath());
      bobsBrowser.find(".room-list");

      annasBrowser.openRoom(room);
      bobsBrowser.openRoom(room);
      String roomCss = ".room[data-room='" + room + "']";
      // the composer is open in the encrypted room, and the notice says who decrypts
      assertEquals(
          false,
          annasBrowser.js(
              "return document.querySelector(arguments[0]).disabled", roomCss + " #composer-text"));
      annasBrowser.waitForText("#encrypted-notice", "Konsil Desktop");
      annasBrowser.waitForText("#desktop-mark", "Desktop");

      annasBrowser.send("Wunde reizlos, Verband neu");
      bobsBrowser.waitForText(roomCss + " .messages", "Wunde reizlos, Verband neu");
      // typing shows on the other side, as in a plain room
      bobsBrowser.press("#composer-text", "Danke,");
      annasBrowser.waitForText(roomCss + " .typing", "Bob Lindner");
      bobsBrowser.press("#composer-text", " Fieber 37,2", Keys.ENTER);
      annasBrowser.waitForText(roomCss + " .messages", "Danke, Fieber 37,2");

      // a file: encrypted by Bob's companion, listed and opened on Anna's side
      Path photo = Files.createTempFile("wundfoto", ".jpg");
      Files.write(photo, "JPEG Wundfoto Tag 3".getBytes(StandardCharsets.UTF_8));
      bobsBrowser.find("#attach-file").sendKeys(photo.toAbsolutePath().toString());
      annasBrowser.waitForText(roomCss + " .attachment .file-name", photo.getFileName().toString());

      // an unread count in the list while Anna reads elsewhere
      annasBrowser.visit("/#/campaigns");
      annasBrowser.find("#campaigns-title");
      bobsBrowser.send("Bitte Rückruf");
      annasBrowser.waitForText(".room-item[data-room='" + room + "'] .badge", "1");
      annasBrowser.openRoom(room);

      // a reload reads the history through the companion, decrypted
      annasBrowser.visit("/");
      annasBrowser.openRoom(room);
      annasBrowser.waitForText(roomCss + " .messages", "Wunde reizlos, Verband neu");
      annasBrowser.waitForText(roomCss + " .messages", photo.getFileName().toString());
      String history = annasBrowser.waitForText(roomCss + " .messages", "Bitte Rückruf");
      assertFalse(history.contains("🔒"), history);
      assertTrue(annasBrowser.consoleErrors().isEmpty(), annasBrowser.consoleErrors().toString());
      // the companion's marks keep the page as accessible as the server's
      List<String> serious =
          annasBrowser.accessibilityViolations().stream()
              .filter(found -> found.startsWith("critical") || found.startsWith("serious"))
              .toList();
      assertTrue(serious.isEmpty(), serious.toString());

      // all went end to end: the server stored four encrypted messages and no text
      assertEquals(
          4,
          server.count(
              "SELECT count(*) FROM messages WHERE room_id = '"
                  + room
                  + "' AND kind = 'encrypted'"));
      String dump = DatabaseDump.of(server.database());
      assertFalse(dump.contains("Wunde reizlos"));
      assertFalse(dump.contains("Fieber 37,2"));
      assertFalse(dump.contains("Wundfoto"));
    } finally {
      annasComputer.stop();
      bobsComputer.stop();
    }
  }
}
