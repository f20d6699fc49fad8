package org.konsil.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.konsil.client.TestClients.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.konsil.client.cli.KonsilCli;
import org.konsil.client.e2e.DeviceAddress;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.Waiting;

/**
 * The command line run in-process against a real server: sending into an encrypted and a plain
 * room, listing devices, the safety number both sides agree on, backup with its sheet and restore
 * on a new key folder, and wrong input refused with a clear line and a non-zero status.
 */
class KonsilCliTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_PREKEY_FETCH_LIMIT", "1000");

  static Vertx vertx;

  @TempDir Path temp;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    await(vertx.close());
  }

  record Run(int status, String out, String err) {}

  Run cli(TestUser user, Path keys, String stdin, Map<String, String> extraEnv, String... args) {
    return cli(
        user, keys, stdin, extraEnv, new ByteArrayOutputStream(), new CountDownLatch(1), args);
  }

  Run cli(
      TestUser user,
      Path keys,
      String stdin,
      Map<String, String> extraEnv,
      ByteArrayOutputStream out,
      CountDownLatch stop,
      String... args) {
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("KONSIL_SERVER", "http://127.0.0.1:" + server.port());
    env.put("KONSIL_EMAIL", user.email());
    List<String> all =
        new ArrayList<>(List.of("--keys", keys.toString(), "--store-memory-kib", "1024"));
    all.addAll(List.of(args));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        new KonsilCli(
                env,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                stop)
            .run(all.toArray(String[]::new));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  Run cli(TestUser user, Path keys, String... args) {
    return cli(user, keys, "", Map.of("KONSIL_PASSWORD", user.password()), args);
  }

  @Test
  void sendDevicesSafetyNumberBackupAndRestore() throws Exception {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestUser anna = server.user(practice, "Anna Berger");
    TestUser bob = server.user(careHome, "Bob Lindner");
    UUID encrypted = encryptedRoom(anna, careHome.id());
    UUID plain = server.room(server.login(anna), careHome.id());
    Path annaKeys = temp.resolve("anna");

    // Bob runs the library as his practice software would
    EventLog bobLog = new EventLog();
    KonsilClient bobClient =
        TestClients.client(vertx, TestClients.options(server, temp.resolve("bob")), bobLog);
    await(bobClient.login(bob.email(), bob.password(), SecondFactorPrompt.NONE));
    await(bobClient.openKeyStore(bob.password().toCharArray()));
    int bobDevice = await(bobClient.devices().register("Stationsrechner"));
    await(bobClient.connect());

    // send into the encrypted room: the CLI sets up its device, Bob decrypts
    String text = "Verband gewechselt " + UUID.randomUUID();
    Run sent = cli(anna, annaKeys, "send", encrypted.toString(), text);
    assertEquals(0, sent.status(), sent.err());
    assertTrue(sent.out().contains("sent: room " + encrypted + " seq 1"), sent.out());
    assertEquals(text, bobLog.next(EncryptedMessage.class).text());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE room_id = '"
                + encrypted
                + "' AND kind = 'encrypted' AND content NOT LIKE '%Verband%'"));

    // into a plain room, with the password from stdin
    String plainText = "Termin morgen 9 Uhr " + UUID.randomUUID();
    Run plainSent =
        cli(anna, annaKeys, anna.password() + "\n", Map.of(), "send", plain.toString(), plainText);
    assertEquals(0, plainSent.status(), plainSent.err());
    assertTrue(plainSent.out().contains("sent: room " + plain + " seq 1"), plainSent.out());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE room_id = '"
                + plain
                + "' AND content = '"
                + plainText
                + "'"));

    // devices: the one device the CLI registered, marked as this one
    Run devices = cli(anna, annaKeys, "devices");
    assertEquals(0, devices.status(), devices.err());
    assertTrue(devices.out().startsWith("* 1\tKommandozeile\t"), devices.out());
    assertEquals(1, devices.out().lines().count(), devices.out());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM devices d JOIN users u ON u.id = d.user_id WHERE u.email = '"
                + anna.email()
                + "' AND d.removed_at IS NULL"));

    // the safety number the CLI shows is the one Bob's library computes
    Run number =
        cli(anna, annaKeys, "safety-number", bobClient.account().id().toString(), "" + bobDevice);
    assertEquals(0, number.status(), number.err());
    UUID annaId =
        UUID.fromString(
            server
                .api()
                .get("/api/v1/me", server.login(anna).accessToken())
                .json()
                .getString("id"));
    String bobsView =
        await(bobClient.sessions().safetyNumber(new DeviceAddress(annaId, 1))).grouped();
    assertTrue(number.out().contains(bobsView), number.out() + " / " + bobsView);
    assertEquals(
        1, cli(anna, annaKeys, "safety-number", bobClient.account().id().toString(), "9").status());

    // listen prints what arrives in both rooms, decrypted, until stopped
    ByteArrayOutputStream listened = new ByteArrayOutputStream();
    CountDownLatch stopListening = new CountDownLatch(1);
    Run[] listenRun = new Run[1];
    Thread listener =
        new Thread(
            () ->
                listenRun[0] =
                    cli(
                        anna,
                        annaKeys,
                        "",
                        Map.of("KONSIL_PASSWORD", anna.password()),
                        listened,
                        stopListening,
                        "listen"));
    listener.start();
    Waiting.until(
        () -> listened.toString(StandardCharsets.UTF_8).contains("listening as device 1"),
        "the CLI listens");
    String secret = "Blutdruck 130/80 " + UUID.randomUUID();
    await(bobClient.encryptedRooms().send(encrypted, secret));
    String open = "Rezept liegt bereit " + UUID.randomUUID();
    server.sendRest(server.login(bob), plain, open);
    Waiting.until(
        () -> {
          String printed = listened.toString(StandardCharsets.UTF_8);
          return printed.contains("[" + encrypted + "] #2 Bob Lindner (encrypted): " + secret)
              && printed.contains("[" + plain + "] #2 Bob Lindner: " + open);
        },
        "the CLI prints both messages");
    stopListening.countDown();
    listener.join(30_000);
    assertEquals(0, listenRun[0].status(), listenRun[0].err());

    // what Bob writes while nobody listens is printed by the next listen, and only that
    String meanwhile = "Nachts ruhig geschlafen " + UUID.randomUUID();
    await(bobClient.encryptedRooms().send(encrypted, meanwhile));
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    CountDownLatch stopAgain = new CountDownLatch(1);
    Run[] againRun = new Run[1];
    Thread second =
        new Thread(
            () ->
                againRun[0] =
                    cli(
                        anna,
                        annaKeys,
                        "",
                        Map.of("KONSIL_PASSWORD", anna.password()),
                        again,
                        stopAgain,
                        "listen"));
    second.start();
    Waiting.until(
        () ->
            again
                .toString(StandardCharsets.UTF_8)
                .contains("[" + encrypted + "] #3 Bob Lindner (encrypted): " + meanwhile),
        "the next listen prints what came meanwhile");
    stopAgain.countDown();
    second.join(30_000);
    assertEquals(0, againRun[0].status(), againRun[0].err());
    assertFalse(again.toString(StandardCharsets.UTF_8).contains(secret), "nothing twice");

    // backup: a code and a sheet carrying it; restore on a new folder with that code
    Path sheet = temp.resolve("sheet.pdf");
    Run backup = cli(anna, annaKeys, "--sheet", sheet.toString(), "backup");
    assertEquals(0, backup.status(), backup.err());
    Matcher code = Pattern.compile("recovery code: ([A-Z2-7-]{39})").matcher(backup.out());
    assertTrue(code.find(), backup.out());
    try (PDDocument document = Loader.loadPDF(Files.readAllBytes(sheet))) {
      assertTrue(new PDFTextStripper().getText(document).contains(code.group(1)));
    }
    Path newKeys = temp.resolve("anna-new");
    Run wrong =
        cli(
            anna,
            newKeys,
            "",
            Map.of(
                "KONSIL_PASSWORD",
                anna.password(),
                "KONSIL_RECOVERY_CODE",
                "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"),
            "restore");
    assertEquals(1, wrong.status());
    assertTrue(wrong.err().contains("recovery code does not open"), wrong.err());
    Run restored =
        cli(
            anna,
            newKeys,
            "",
            Map.of("KONSIL_PASSWORD", anna.password(), "KONSIL_RECOVERY_CODE", code.group(1)),
            "restore");
    assertEquals(0, restored.status(), restored.err());
    assertTrue(
        restored
            .out()
            .contains("restored 3 messages of 1 rooms from device 1; this computer is device 2"),
        restored.out());

    // wrong usage and wrong password
    assertEquals(2, cli(anna, annaKeys, "fly").status());
    assertEquals(2, cli(anna, annaKeys, "send", encrypted.toString()).status());
    Run badPassword =
        cli(anna, annaKeys, "", Map.of("KONSIL_PASSWORD", "falsch-falsch-falsch"), "devices");
    assertEquals(1, badPassword.status());
    assertTrue(badPassword.err().contains("invalid_credentials"), badPassword.err());
    Run notAMember = cli(bob, temp.resolve("bob-cli"), "send", UUID.randomUUID().toString(), "x");
    assertEquals(1, notAMember.status());
    assertTrue(notAMember.err().startsWith("error: "), notAMember.err());

    await(bobClient.close());
  }

  @Test
  void theSecondFactorCodeIsReadAfterThePassword() {
    TestUser carla = server.user(server.organisation("practice"), "Carla Neu");
    org.konsil.server.testkit.KonsilServer.Session session = server.login(carla);
    String secret =
        server
            .api()
            .post("/api/v1/me/second-factor", null, session.accessToken())
            .json()
            .getString("secret");
    long step = server.clock.instant().getEpochSecond() / 30;
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", org.konsil.server.accounts.Totp.codeAt(secret, step)),
                session.accessToken())
            .status());
    Path keys = temp.resolve("carla");
    Run wrongCode = cli(carla, keys, carla.password() + "\n000000\n", Map.of(), "devices");
    assertEquals(1, wrongCode.status());
    assertTrue(wrongCode.err().contains("invalid_second_factor"), wrongCode.err());
    Run noCode = cli(carla, keys, carla.password() + "\n", Map.of(), "devices");
    assertEquals(1, noCode.status());
    assertTrue(noCode.err().contains("asks for a second-factor code"), noCode.err());
    // the enrolment used this step's code; the next step's is fresh
    server.clock.advance(java.time.Duration.ofSeconds(30));
    String code = org.konsil.server.accounts.Totp.codeAt(secret, step + 1);
    Run devices = cli(carla, keys, carla.password() + "\n" + code + "\n", Map.of(), "devices");
    assertEquals(0, devices.status(), devices.err());
    assertTrue(devices.err().contains("code from your authenticator app:"), devices.err());
    assertEquals("no devices", devices.out().strip());
  }

  static UUID encryptedRoom(TestUser creator, UUID partner) {
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "Wundverlauf")
                    .put("encrypted", true)
                    .put("partnerOrganisationIds", new JsonArray().add(partner.toString())),
                server.login(creator).accessToken());
    assertEquals(201, created.status(), created.body());
    return UUID.fromString(created.json().getString("id"));
  }
}
