package org.konsil.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.konsil.client.TestClients.await;
import static org.konsil.client.TestClients.failure;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomHistoryWiped;
import org.konsil.client.http.KonsilApiException;
import org.konsil.client.recovery.Recovery;
import org.konsil.client.recovery.RecoverySheet;
import org.konsil.client.store.RecoveryBackup;
import org.konsil.client.store.RecoveryCode;
import org.konsil.client.store.WrongRecoveryCodeException;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;

/**
 * The recovery key and backup against a real server: a backup restored on a new device (a fresh
 * key-store folder) gives back the history and the old identity, and the new device reads new
 * messages; a wrong code changes nothing; nobody else reaches a user's backup; the stored blob
 * holds no plaintext; the recovery sheet carries the code.
 */
class RecoveryTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_PREKEY_FETCH_LIMIT", "1000");

  static Vertx vertx;

  @TempDir Path temp;

  final List<KonsilClient> started = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    await(vertx.close());
  }

  @AfterEach
  void closeClients() {
    for (KonsilClient client : started) {
      try {
        client.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        // closed already
      }
    }
  }

  record Device(KonsilClient client, EventLog log) {}

  Device device(TestUser user, boolean register) {
    EventLog log = new EventLog();
    Path keys = temp.resolve(UUID.randomUUID().toString()).resolve("keys");
    KonsilClient client = TestClients.client(vertx, TestClients.options(server, keys), log);
    started.add(client);
    await(client.login(user.email(), user.password(), SecondFactorPrompt.NONE));
    await(client.openKeyStore(user.password().toCharArray()));
    if (register) {
      await(client.devices().register("Gerät"));
      await(client.connect());
    }
    return new Device(client, log);
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

  @Test
  void aNewDeviceRestoresTheHistoryWithTheCodeAndAWrongCodeChangesNothing() throws Exception {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestUser annaUser = server.user(practice, "Anna Berger");
    TestUser bobUser = server.user(careHome, "Bob Lindner");
    UUID room = encryptedRoom(annaUser, careHome.id());
    Device anna = device(annaUser, true);
    Device bob = device(bobUser, true);

    String first = "Wunde reizlos " + UUID.randomUUID();
    String second = "Fieber 37,2 " + UUID.randomUUID();
    await(anna.client().encryptedRooms().send(room, first));
    assertEquals(first, bob.log().next(EncryptedMessage.class, m -> !m.ownMessage()).text());
    await(bob.client().encryptedRooms().send(room, second));
    assertEquals(second, anna.log().next(EncryptedMessage.class, m -> !m.ownMessage()).text());

    RecoveryCode code = await(anna.client().recovery().createBackup());
    assertTrue(code.grouped().matches("([A-Z2-7]{4}-){7}[A-Z2-7]{4}"), code.grouped());

    // the server holds an opaque blob: none of the texts, readable or as they were sealed on disk
    Api.Response stored =
        server.api().get("/api/v1/me/key-backup", server.login(annaUser).accessToken());
    assertEquals(200, stored.status(), stored.body());
    byte[] blob = Base64.getDecoder().decode(stored.json().getString("backup"));
    assertEquals(blob.length, stored.json().getInteger("size"));
    byte[] sealed =
        Base64.getDecoder()
            .decode(new JsonObject(new String(blob, StandardCharsets.UTF_8)).getString("sealed"));
    for (String secret : List.of(first, second, "Wunde reizlos", "Fieber 37,2")) {
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      assertFalse(contains(blob, bytes), "the blob shows " + secret);
      assertFalse(contains(sealed, bytes), "the sealed bytes show " + secret);
    }

    // a new computer: a fresh folder, a new store; a wrong code is refused and changes nothing
    Device fresh = device(annaUser, false);
    RecoveryCode wrong = RecoveryCode.generate();
    assertInstanceOf(
        WrongRecoveryCodeException.class, failure(fresh.client().recovery().restore(wrong)));
    assertEquals(List.of(), await(fresh.client().encryptedRooms().history(room)));
    assertNull(fresh.client().keyStore().restoredIdentity());
    // a code typed with a typo in its form is refused before anything is fetched
    assertThrows(IllegalArgumentException.class, () -> RecoveryCode.parse("ABCD-EFGH"));

    // the right code, typed in lower case with spaces and the digit 0 for the letter O
    String typed = code.grouped().toLowerCase().replace('-', ' ').replace('o', '0');
    RecoveryBackup.Restored restored =
        await(fresh.client().recovery().restore(RecoveryCode.parse(typed)));
    assertEquals(1, restored.rooms());
    assertEquals(2, restored.messages());
    assertEquals(anna.client().sessions().self().deviceId(), restored.previousDeviceId());
    List<EncryptedMessage> history = await(fresh.client().encryptedRooms().history(room));
    assertEquals(List.of(first, second), history.stream().map(EncryptedMessage::text).toList());
    assertEquals(List.of(true, false), history.stream().map(EncryptedMessage::ownMessage).toList());
    // the old identity is back beside the new device's own, which stays new (a new device)
    assertArrayEquals(
        anna.client().keyStore().getIdentityKeyPair().serialize(),
        fresh.client().keyStore().restoredIdentity().serialize());
    assertNotEquals(
        anna.client().keyStore().getIdentityKeyPair().getPublicKey(),
        fresh.client().keyStore().getIdentityKeyPair().getPublicKey());
    // restoring again adds nothing twice
    assertEquals(0, await(fresh.client().recovery().restore(code)).messages());

    // the new device registers and reads what comes from now on
    await(fresh.client().devices().register("Neuer Praxis-PC"));
    await(fresh.client().connect());
    String third = "Verband gewechselt " + UUID.randomUUID();
    await(bob.client().encryptedRooms().send(room, third));
    assertEquals(third, fresh.log().next(EncryptedMessage.class, m -> !m.ownMessage()).text());
    assertEquals(
        List.of(first, second, third),
        await(fresh.client().encryptedRooms().history(room)).stream()
            .map(EncryptedMessage::text)
            .toList());

    // the sheet carries the code, the user and the server
    byte[] pdf =
        RecoverySheet.pdf(
            code, annaUser.email(), "http://127.0.0.1:" + server.port(), LocalDate.now());
    try (PDDocument document = Loader.loadPDF(pdf)) {
      String text = new PDFTextStripper().getText(document);
      assertTrue(text.contains(code.grouped()), text);
      assertTrue(text.contains(annaUser.email()), text);
      assertTrue(text.contains("127.0.0.1:" + server.port()), text);
      assertTrue(text.contains("Wiederherstellungsschlüssel"), text);
    }
    assertTrue(Recovery.passwordResetConsequence().contains("unreadable"));
  }

  @Test
  void aRestoreDoesNotBringBackARoomThatARevocationWiped() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestUser annaUser = server.user(practice, "Anna Berger");
    TestUser bobUser = server.user(careHome, "Bob Lindner");
    KonsilServer.Session annaSession = server.login(annaUser);
    UUID patient = server.patient(annaSession, "Krause");
    assertEquals(
        201,
        server
            .uploadConsent(
                annaSession,
                patient,
                org.konsil.server.testkit.Documents.pdf(),
                "application/pdf",
                careHome.id())
            .status());
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("kind", "patient")
                    .put("patientId", patient.toString())
                    .put("title", "Wundversorgung")
                    .put("encrypted", true)
                    .put("partnerOrganisationIds", new JsonArray().add(careHome.id().toString())),
                annaSession.accessToken());
    assertEquals(201, created.status(), created.body());
    UUID patientRoom = UUID.fromString(created.json().getString("id"));
    UUID otherRoom = encryptedRoom(annaUser, careHome.id());
    Device anna = device(annaUser, true);
    Device bob = device(bobUser, true);
    await(anna.client().encryptedRooms().send(patientRoom, "Dekubitus Grad 2"));
    await(anna.client().encryptedRooms().send(otherRoom, "Dienstplan"));
    bob.log().next(EncryptedMessage.class, m -> m.room().equals(patientRoom));
    bob.log().next(EncryptedMessage.class, m -> m.room().equals(otherRoom));
    RecoveryCode code = await(bob.client().recovery().createBackup());

    // the patient revokes after the backup was made
    Api.Response revoked =
        server
            .api()
            .send(
                io.vertx.core.http.HttpMethod.POST,
                "/api/v1/patients/"
                    + patient
                    + "/revocation?date="
                    + LocalDate.ofInstant(server.clock.instant(), java.time.ZoneOffset.UTC),
                annaSession.accessToken(),
                null,
                null);
    assertEquals(200, revoked.status(), revoked.body());
    bob.log().next(RoomHistoryWiped.class);

    // Bob's new computer restores the older backup: the revoked room is wiped again at once
    Device fresh = device(bobUser, false);
    RecoveryBackup.Restored restored = await(fresh.client().recovery().restore(code));
    assertEquals(2, restored.rooms());
    assertEquals(patientRoom, fresh.log().next(RoomHistoryWiped.class).room());
    assertEquals(List.of(), await(fresh.client().encryptedRooms().history(patientRoom)));
    assertEquals(
        List.of("Dienstplan"),
        await(fresh.client().encryptedRooms().history(otherRoom)).stream()
            .map(EncryptedMessage::text)
            .toList());
  }

  @Test
  void onlyTheUserReachesTheirBackupAndBadUploadsStoreNothing() {
    TestOrg practice = server.organisation("practice");
    TestUser annaUser = server.user(practice, "Anna Berger");
    TestUser malloryUser = server.user(server.organisation("practice"), "Mallory");
    String anna = server.login(annaUser).accessToken();
    String mallory = server.login(malloryUser).accessToken();
    Api api = server.api();

    byte[] annas = new byte[] {1, 2, 3, 4, 5};
    Api.Response put =
        api.put(
            "/api/v1/me/key-backup",
            new JsonObject().put("backup", Base64.getEncoder().encodeToString(annas)),
            anna);
    assertEquals(200, put.status(), put.body());
    assertEquals(5, put.json().getInteger("size"));

    // Mallory reaches only her own (none), and her upload replaces only hers
    assertEquals("key_backup_missing", api.get("/api/v1/me/key-backup", mallory).code());
    assertEquals(
        200,
        api.put(
                "/api/v1/me/key-backup",
                new JsonObject().put("backup", Base64.getEncoder().encodeToString(new byte[] {9})),
                mallory)
            .status());
    assertArrayEquals(annas, backupOf(anna));
    assertEquals(1, backupOf(mallory).length);
    assertEquals(401, api.get("/api/v1/me/key-backup", null).status());

    // bad uploads: nothing stored, Anna's stays
    Api.Response notBase64 =
        api.put("/api/v1/me/key-backup", new JsonObject().put("backup", "%%%"), anna);
    assertEquals("validation_failed", notBase64.code(), notBase64.body());
    Api.Response tooLarge =
        api.put(
            "/api/v1/me/key-backup",
            new JsonObject().put("backup", Base64.getEncoder().encodeToString(new byte[524_289])),
            anna);
    assertEquals(413, tooLarge.status(), tooLarge.body());
    assertEquals("key_backup_too_large", tooLarge.code());
    assertEquals(
        "validation_failed", api.put("/api/v1/me/key-backup", new JsonObject(), anna).code());
    assertArrayEquals(annas, backupOf(anna));

    // a replacement replaces, a delete deletes; each step is audited
    byte[] newer = new byte[524_288];
    newer[0] = 7;
    assertEquals(
        200,
        api.put(
                "/api/v1/me/key-backup",
                new JsonObject().put("backup", Base64.getEncoder().encodeToString(newer)),
                anna)
            .status());
    assertArrayEquals(newer, backupOf(anna));
    assertEquals(
        1, server.count("SELECT count(*) FROM key_backups WHERE user_id = '" + annaId(anna) + "'"));
    Api.Response deleted =
        api.send(io.vertx.core.http.HttpMethod.DELETE, "/api/v1/me/key-backup", anna, null, null);
    assertEquals(204, deleted.status(), deleted.body());
    assertEquals("key_backup_missing", api.get("/api/v1/me/key-backup", anna).code());
    assertEquals(
        "key_backup_missing",
        api.send(io.vertx.core.http.HttpMethod.DELETE, "/api/v1/me/key-backup", anna, null, null)
            .code());
    assertArrayEquals(new byte[] {9}, backupOf(mallory));
    for (String action : List.of("key_backup.stored", "key_backup.read", "key_backup.deleted")) {
      assertTrue(
          server.count(
                  "SELECT count(*) FROM audit_events WHERE action = '"
                      + action
                      + "' AND actor_user_id = '"
                      + annaId(anna)
                      + "'")
              >= 1,
          action);
    }
  }

  @Test
  void aClientWithoutABackupIsToldSo() {
    TestUser user = server.user(server.organisation("practice"), "Carla Neu");
    Device device = device(user, false);
    KonsilApiException missing =
        assertInstanceOf(
            KonsilApiException.class,
            failure(device.client().recovery().restore(RecoveryCode.generate())));
    assertEquals("key_backup_missing", missing.code());
  }

  private static byte[] backupOf(String token) {
    Api.Response response = server.api().get("/api/v1/me/key-backup", token);
    assertEquals(200, response.status(), response.body());
    return Base64.getDecoder().decode(response.json().getString("backup"));
  }

  private static String annaId(String token) {
    return server.api().get("/api/v1/me", token).json().getString("id");
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
