package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Browser;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;

/**
 * The web page the server serves cannot read an end-to-end encrypted room; it shows the room as
 * such (a lock in the list, a note how to open it, each message as an encrypted one, the composer
 * off) instead of an empty or broken view.
 */
class EncryptedRoomInBrowserTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  @Test
  void anEncryptedRoomShowsLockedWithAnExplanationAndNoComposer() {
    TestOrg practice = server.organisation("practice", "Praxis Dr. Weber");
    TestOrg careHome = server.organisation("care_home", "Pflegeheim Sonnenhof");
    TestUser nurse = server.user(careHome, "Petra Lind");
    Session anna = server.login(practice.admin());
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "Wundverlauf verschlüsselt")
                    .put("encrypted", true)
                    .put("partnerOrganisationIds", new JsonArray().add(careHome.id().toString())),
                anna.accessToken());
    assertEquals(201, created.status(), created.body());
    UUID room = UUID.fromString(created.json().getString("id"));
    E2eDevice laptop = E2eDevice.register(server, anna);
    E2eDevice nursesPc = E2eDevice.register(server, server.login(nurse));
    String secret = "Befund nur für Geräte";
    Api.Response sent =
        laptop.send(room, UUID.randomUUID(), laptop.seal(secret, List.of(nursesPc)));
    assertEquals(201, sent.status(), sent.body());

    Browser browser = Browser.open(server);
    try {
      browser.login(nurse);
      browser.find(".room-item[data-room='" + room + "'] .room-lock");
      browser.openRoom(room);
      assertTrue(
          browser.waitForText("#encrypted-notice", "Desktop-App").contains("Client-Bibliothek"));
      browser.find(".message[data-seq='1'] .content.encrypted");
      assertTrue(browser.text(".message[data-seq='1']").contains("Verschlüsselte Nachricht"));
      assertNotNull(browser.attribute("#composer-text", "disabled"), "the composer is off");
      assertFalse(browser.present(".message[data-seq='1'] .message-actions"));
      assertFalse(String.valueOf(browser.js("return document.body.innerText")).contains(secret));
      assertEquals(List.of(), browser.consoleErrors());
    } finally {
      browser.close();
    }
  }
}
