package org.konsil.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.notifications.SmsOutbox.SmsState;
import org.konsil.server.notifications.sms.SmsReceipt;
import org.konsil.server.notifications.sms.spool.SpoolSmsTransport;
import org.konsil.server.testkit.FakeSmsGateway;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.Waiting;

/**
 * The SMS outbox against a real HTTP gateway on loopback: a gateway that is down delays an SMS and
 * loses none, a number the gateway refuses fails at once, the sender can read the state, and the
 * text (it may hold a code) leaves the row once it is done. And the spool transport a person reads.
 */
class SmsOutboxTest {

  static final FakeSmsGateway gateway = new FakeSmsGateway();

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_SMS_TRANSPORT", "http")
          .with("KONSIL_SMS_HTTP_URL", gateway.url())
          .with("KONSIL_SMS_HTTP_TOKEN", FakeSmsGateway.TOKEN);

  static Vertx vertx;
  static Pool pool;
  static TestOrg practice;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    vertx = Vertx.vertx();
    DatabaseSettings app = DatabaseSettings.fromUrl(TestDatabase.applicationUrl(server.database()));
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(2))
            .connectingTo(
                new PgConnectOptions()
                    .setHost(app.host())
                    .setPort(app.port())
                    .setDatabase(app.database())
                    .setUser(app.user())
                    .setPassword(app.password()))
            .using(vertx)
            .build();
  }

  @AfterAll
  static void tearDown() throws Exception {
    pool.close().await(15, TimeUnit.SECONDS);
    vertx.close().await(15, TimeUnit.SECONDS);
    gateway.close();
  }

  static long enqueue(String to, String text) {
    SmsOutbox outbox = server.wiring().smsOutbox();
    return KonsilServer.await(
        pool.withTransaction(tx -> outbox.enqueue(tx, practice.id(), to, text, "test_code")));
  }

  static SmsState state(long id) {
    return KonsilServer.await(server.wiring().smsOutbox().state(id));
  }

  /**
   * Drains and waits until the row has seen this many attempts and is not in the gateway's hands:
   * the node's own worker may have taken the round.
   */
  static SmsState settled(long id, int attempts) {
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().smsOutbox().drain());
          SmsState now = state(id);
          return now.attempts() == attempts && !"sending".equals(now.status());
        },
        "SMS " + id + " after " + attempts + " attempts");
    return state(id);
  }

  @Test
  void aGatewayThatIsDownDelaysTheSmsAndLosesNothing() {
    gateway.down();
    long id;
    try {
      id = enqueue("+491701234567", "Ihr Code: 123456");
      SmsState waiting = settled(id, 1);
      assertEquals("queued", waiting.status(), "back in the queue after the failed attempt");
      assertEquals(1, waiting.attempts());
      assertNotNull(waiting.lastError());
      assertEquals("test_code", waiting.purpose());
      assertEquals(practice.id(), waiting.organisationId());
      // 503 is a gateway that is up but overloaded: also a retry
    } finally {
      gateway.up();
    }
    gateway.failNext(1);
    server.clock.advance(Duration.ofSeconds(6));
    assertEquals("queued", settled(id, 2).status());
    assertTrue(
        gateway.received().stream().noneMatch(sms -> sms.idempotencyKey().equals("sms-" + id)));

    server.clock.advance(Duration.ofSeconds(11));
    SmsState sent = settled(id, 3);
    assertEquals("sent", sent.status(), String.valueOf(sent.lastError()));
    assertEquals(3, sent.attempts());
    assertNotNull(sent.sentAt());
    List<FakeSmsGateway.Sms> arrived =
        gateway.received().stream().filter(s -> s.idempotencyKey().equals("sms-" + id)).toList();
    assertEquals(1, arrived.size(), "sent once");
    assertEquals("+491701234567", arrived.get(0).to());
    assertEquals("Ihr Code: 123456", arrived.get(0).text());
    assertEquals(
        0,
        server.count("SELECT count(*) FROM outbox WHERE id = " + id + " AND payload ? 'text'"),
        "the code leaves the outbox once sent");
    // nothing more goes out on later rounds
    server.clock.advance(Duration.ofMinutes(5));
    KonsilServer.await(server.wiring().smsOutbox().drain());
    assertEquals(1, gateway.received().stream().filter(s -> s.text().contains("123456")).count());
  }

  @Test
  void aNumberTheGatewayRefusesFailsAtOnceAndSaysWhy() {
    gateway.refuse("+491709999999");
    long id = enqueue("+491709999999", "Ihr Code: 654321");
    SmsState failed = settled(id, 1);
    assertEquals("failed", failed.status());
    assertEquals("unknown number", failed.lastError());
    assertEquals(
        0, server.count("SELECT count(*) FROM outbox WHERE id = " + id + " AND payload ? 'text'"));
  }

  @Test
  void badInputIsRefusedBeforeAnythingIsQueued() {
    long before = server.count("SELECT count(*) FROM outbox WHERE channel = 'sms'");
    refused("0170 1234567", "x");
    refused("+491701234567", "");
    refused("+491701234567", "x".repeat(481));
    assertEquals(before, server.count("SELECT count(*) FROM outbox WHERE channel = 'sms'"));
    assertEquals(null, state(-1));
  }

  /** The transaction fails with the refusal; the await wraps it. */
  static void refused(String to, String text) {
    Throwable thrown = assertThrows(RuntimeException.class, () -> enqueue(to, text));
    while (thrown.getCause() != null && !(thrown instanceof IllegalArgumentException)) {
      thrown = thrown.getCause();
    }
    assertTrue(thrown instanceof IllegalArgumentException, String.valueOf(thrown));
  }

  @Test
  void theSpoolTransportWritesAFileOnlyItsOwnerReads() throws Exception {
    Path folder = Files.createTempDirectory("sms-spool").resolve("sms");
    SpoolSmsTransport spool = new SpoolSmsTransport(vertx, folder);
    SmsReceipt receipt =
        spool.send("+491701234567", "Ihr Code: 777888", "sms-42").await(10, TimeUnit.SECONDS);
    assertTrue(receipt.accepted());
    Path file = folder.resolve("sms-42-491701234567.txt");
    assertEquals("To: +491701234567\n\nIhr Code: 777888\n", Files.readString(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
    // a repeat under the same key overwrites rather than duplicates
    spool.send("+491701234567", "Ihr Code: 777888", "sms-42").await(10, TimeUnit.SECONDS);
    try (var files = Files.list(folder)) {
      assertEquals(1, files.count());
    }
  }
}
