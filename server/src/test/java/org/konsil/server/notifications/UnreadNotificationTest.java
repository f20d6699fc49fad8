package org.konsil.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/** Users who are not connected learn of unread messages by e-mail, throttled, without content. */
class UnreadNotificationTest {

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

  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
  }

  static int mailsTo(String address) throws Exception {
    KonsilServer.await(server.wiring().notifier().run());
    // The server's own worker may be in the middle of a round: wait until every new mail has gone.
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().mailOutbox().drain());
          return server.count(
                  "SELECT count(*) FROM outbox WHERE channel = 'mail'"
                      + " AND (status = 'sending' OR (status = 'queued' AND attempts = 0))")
              == 0;
        },
        "the mails left the outbox");
    int count = 0;
    for (MimeMessage message : mail.getReceivedMessages()) {
      if (message.getAllRecipients()[0].toString().equals(address)) {
        count++;
      }
    }
    return count;
  }

  static String lastMailTo(String address) throws Exception {
    String body = null;
    for (MimeMessage message : mail.getReceivedMessages()) {
      if (message.getAllRecipients()[0].toString().equals(address)) {
        body = GreenMailUtil.getBody(message);
      }
    }
    return body;
  }

  @Test
  void offlineUserIsToldOncePerIntervalAndNeverWhatWasWritten() throws Exception {
    TestOrg careHome = server.organisation("care_home");
    TestUser tom = server.user(careHome);
    Session anna = server.login(practice.admin());
    UUID room = server.room(anna, careHome.id());
    server.sendRest(anna, room, "Blutdruck heute 160/95");
    assertEquals(0, mailsTo(tom.email()), "not before the delay");
    server.clock.advance(Duration.ofSeconds(61));
    assertEquals(1, mailsTo(tom.email()));
    String body = lastMailTo(tom.email());
    assertTrue(body.contains(practice.name()), body);
    assertFalse(body.contains("Blutdruck"), "no message text");
    assertFalse(body.contains("Room "), "no room title");
    assertEquals(0, mailsTo(practice.admin().email()), "not about one's own messages");

    server.sendRest(server.login(practice.admin()), room, "noch etwas");
    server.clock.advance(Duration.ofSeconds(61));
    assertEquals(1, mailsTo(tom.email()), "throttled within the interval");

    server.clock.advance(Duration.ofMinutes(31));
    server.sendRest(server.login(practice.admin()), room, "und noch etwas");
    server.clock.advance(Duration.ofSeconds(61));
    assertEquals(2, mailsTo(tom.email()), "again after the interval");
  }

  @Test
  void connectedReadingOrOptedOutUsersGetNoMail() throws Exception {
    TestOrg careHome = server.organisation("care_home");
    TestUser online = server.user(careHome);
    TestUser reader = server.user(careHome);
    TestUser optedOut = server.user(careHome);
    Session optedOutSession = server.login(optedOut);
    assertEquals(
        200,
        server
            .api()
            .patch(
                "/api/v1/me",
                new JsonObject().put("notifyByEmail", false),
                optedOutSession.accessToken())
            .status());
    assertEquals(
        "validation_failed",
        server.api().patch("/api/v1/me", new JsonObject(), optedOutSession.accessToken()).code());
    Session anna = server.login(practice.admin());
    UUID room = server.room(anna, careHome.id());
    try (TestSocket socket = server.socket(server.login(online))) {
      long seq = server.sendRest(anna, room, "Wundversorgung erledigt");
      Session readerSession = server.login(reader);
      server
          .api()
          .put(
              "/api/v1/rooms/" + room + "/read",
              new JsonObject().put("seq", seq),
              readerSession.accessToken());
      server.clock.advance(Duration.ofSeconds(61));
      for (TestUser user : List.of(online, reader, optedOut)) {
        assertEquals(0, mailsTo(user.email()), user.email());
      }
      assertEquals(1, mailsTo(careHome.admin().email()), "the admin, offline, is told");
    }
  }
}
