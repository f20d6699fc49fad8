package org.konsil.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.konsil.client.TestClients.await;
import static org.konsil.client.TestClients.failure;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.konsil.client.e2e.Ciphertext;
import org.konsil.client.e2e.DeviceAddress;
import org.konsil.client.e2e.IdentityKeyChangedException;
import org.konsil.client.e2e.SafetyNumber;
import org.konsil.client.e2e.UndecryptableMessageException;
import org.konsil.client.event.IdentityKeyChanged;
import org.konsil.client.event.PrekeysLow;
import org.konsil.client.event.PrekeysReplenished;
import org.konsil.client.event.SignedPrekeyRotated;
import org.konsil.client.store.LocalStoreException;
import org.konsil.client.store.WrongPasswordException;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.MutableClock;
import org.konsil.server.testkit.TestDatabase;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;

/**
 * End-to-end encryption between client-library instances on a real server: devices register and
 * upload their keys, fetch each other's bundles, build sessions and encrypt both ways; altered and
 * replayed ciphertexts are refused without harm to the session; the key store survives a restart
 * with the right password only; keys are replenished and rotated; safety numbers agree; a
 * substituted or impersonated device is refused and announced.
 */
class EndToEndTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

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

  /** A user with a client whose device is registered, connected. */
  record Member(TestUser user, KonsilClient client, EventLog log, Path keys) {
    UUID id() {
      return client.account().id();
    }

    DeviceAddress device() {
      return client.sessions().self();
    }
  }

  /** Anna (practice) and Bob (care home), who share a room. */
  record Partners(Member anna, Member bob, TestOrg practice) {}

  Partners partners() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestUser anna = server.user(practice, "Anna Berger");
    TestUser bob = server.user(careHome, "Bob Lindner");
    server.room(server.login(anna), careHome.id());
    return new Partners(member(anna, "Praxis-PC"), member(bob, "Stationsrechner"), practice);
  }

  Member member(TestUser user, String deviceName) {
    Path keys = temp.resolve(UUID.randomUUID().toString()).resolve("keys");
    EventLog log = new EventLog();
    KonsilClient client = started(user, keys, log);
    await(client.devices().register(deviceName));
    await(client.connect());
    return new Member(user, client, log, keys);
  }

  static KonsilClient started(TestUser user, Path keys, EventLog log) {
    KonsilClient client = TestClients.client(vertx, TestClients.options(server, keys), log);
    await(client.login(user.email(), user.password(), SecondFactorPrompt.NONE));
    await(client.openKeyStore(user.password().toCharArray()));
    return client;
  }

  @Test
  void aDeviceRegistersWithItsKeysOnce() {
    Partners partners = partners();
    Member anna = partners.anna();
    assertEquals(1, anna.client().devices().deviceId());
    JsonArray devices =
        server.api().get("/api/v1/devices", server.login(anna.user()).accessToken()).array();
    assertEquals(1, devices.size());
    JsonObject device = devices.getJsonObject(0);
    assertEquals("Praxis-PC", device.getString("name"));
    assertEquals(12, device.getInteger("preKeys"));
    assertEquals(12, device.getInteger("pqPreKeys"));
    assertArrayEquals(
        anna.client().sessions().identityKey(),
        java.util.Base64.getDecoder().decode(device.getString("identityKey")));
    // registering again changes nothing
    assertEquals(1, await(anna.client().devices().register("Praxis-PC")));
    assertEquals(
        1,
        server
            .api()
            .get("/api/v1/devices", server.login(anna.user()).accessToken())
            .array()
            .size());
  }

  @Test
  void twoDevicesEncryptBothWaysAndRefuseAlteredAndReplayedCiphertexts() {
    Partners partners = partners();
    Member anna = partners.anna();
    Member bob = partners.bob();

    // Anna starts: her client fetches Bob's bundle, builds a session (PQXDH), sends a prekey
    // message
    List<Ciphertext> first = await(anna.client().sessions().encrypt(bob.id(), text("Hallo Bob")));
    assertEquals(1, first.size());
    Ciphertext hello = first.get(0);
    assertEquals(bob.device(), hello.recipient());
    assertEquals(Ciphertext.PREKEY, hello.type());

    // an altered first message is refused, and the real one still opens the session
    assertRefused(
        UndecryptableMessageException.Reason.INVALID,
        bob,
        anna.device(),
        hello.type(),
        altered(hello.body()));
    assertEquals("Hallo Bob", decrypt(bob, anna.device(), hello));
    assertRefused(
        UndecryptableMessageException.Reason.DUPLICATE,
        bob,
        anna.device(),
        hello.type(),
        hello.body());

    // Bob answers in the session the prekey message made
    Ciphertext answer =
        await(bob.client().sessions().encrypt(anna.id(), text("Hallo Anna"))).get(0);
    assertEquals(Ciphertext.WHISPER, answer.type());
    assertEquals("Hallo Anna", decrypt(anna, bob.device(), answer));

    // from now on normal messages both ways; altered and replayed ones are refused
    Ciphertext next =
        await(anna.client().sessions().encrypt(bob.id(), text("Blutdruck 135/85"))).get(0);
    assertEquals(Ciphertext.WHISPER, next.type());
    assertRefused(
        UndecryptableMessageException.Reason.INVALID,
        bob,
        anna.device(),
        next.type(),
        altered(next.body()));
    assertEquals("Blutdruck 135/85", decrypt(bob, anna.device(), next));
    assertRefused(
        UndecryptableMessageException.Reason.DUPLICATE,
        bob,
        anna.device(),
        next.type(),
        next.body());
    Ciphertext after = await(anna.client().sessions().encrypt(bob.id(), text("danach"))).get(0);
    assertEquals("danach", decrypt(bob, anna.device(), after));
    Ciphertext back = await(bob.client().sessions().encrypt(anna.id(), text("verstanden"))).get(0);
    assertEquals("verstanden", decrypt(anna, bob.device(), back));
    // garbage of an unknown kind is refused as well
    assertRefused(
        UndecryptableMessageException.Reason.INVALID,
        bob,
        anna.device(),
        Ciphertext.WHISPER,
        "kein Signal".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theKeyStoreSurvivesARestartWithTheRightPasswordAndRefusesAWrongOne() throws Exception {
    Partners partners = partners();
    Member anna = partners.anna();
    Member bob = partners.bob();
    Ciphertext hello = await(anna.client().sessions().encrypt(bob.id(), text("vorher"))).get(0);
    assertEquals("vorher", decrypt(bob, anna.device(), hello));
    byte[] identity = identityKey(anna);
    await(anna.client().close());

    KonsilClient restarted =
        TestClients.client(vertx, TestClients.options(server, anna.keys()), new EventLog());
    await(restarted.login(anna.user().email(), anna.user().password(), SecondFactorPrompt.NONE));
    WrongPasswordException wrong =
        assertInstanceOf(
            WrongPasswordException.class,
            failure(restarted.openKeyStore("not the password".toCharArray())));
    assertTrue(wrong.getMessage().contains("password does not open"), wrong.getMessage());
    assertInstanceOf(IllegalStateException.class, failure(sessionsOf(restarted)));

    await(restarted.openKeyStore(anna.user().password().toCharArray()));
    assertEquals(1, restarted.devices().deviceId(), "the same device, not a new one");
    assertArrayEquals(identity, restarted.sessions().identityKey());
    assertEquals(anna.device(), restarted.sessions().self());
    // the session goes on where it was: no new bundle, no prekey message
    long stock = bobsStock(bob);
    Ciphertext again = await(restarted.sessions().encrypt(bob.id(), text("nachher"))).get(0);
    assertEquals(Ciphertext.PREKEY, again.type(), "Bob has not answered yet");
    assertEquals(stock, bobsStock(bob), "no bundle fetched");
    assertEquals("nachher", decrypt(bob, anna.device(), again));
    Ciphertext answer = await(bob.client().sessions().encrypt(anna.id(), text("gut"))).get(0);
    assertArrayEquals(
        text("gut"),
        await(restarted.sessions().decrypt(bob.device(), answer.type(), answer.body())));

    // the files are the owner's only, and hold no key in the clear
    assertEquals(
        "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(anna.keys())));
    try (Stream<Path> files = Files.list(anna.keys())) {
      List<Path> all = files.toList();
      assertTrue(all.size() >= 7, all.toString());
      for (Path file : all) {
        assertEquals(
            "rw-------",
            PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
            file.toString());
      }
    }
    // a new password locks the store from now on
    await(restarted.changeKeyStorePassword("ein neues Passwort".toCharArray()));
    await(restarted.close());
    KonsilClient relocked =
        TestClients.client(vertx, TestClients.options(server, anna.keys()), new EventLog());
    await(relocked.login(anna.user().email(), anna.user().password(), SecondFactorPrompt.NONE));
    assertInstanceOf(
        WrongPasswordException.class,
        failure(relocked.openKeyStore(anna.user().password().toCharArray())));
    await(relocked.openKeyStore("ein neues Passwort".toCharArray()));
    assertArrayEquals(identity, relocked.sessions().identityKey());
    await(relocked.close());

    // another user's client cannot take this folder
    KonsilClient stranger =
        TestClients.client(vertx, TestClients.options(server, anna.keys()), new EventLog());
    await(stranger.login(bob.user().email(), bob.user().password(), SecondFactorPrompt.NONE));
    assertInstanceOf(
        LocalStoreException.class,
        failure(stranger.openKeyStore(anna.user().password().toCharArray())));
  }

  @Test
  void prekeysAreReplenishedWhenTheServerSaysTheyRunLow() {
    Partners partners = partners();
    Member anna = partners.anna();
    Member bob = partners.bob();
    assertEquals(12, bobsStock(bob));
    // each fetch hands out one of Bob's 12 one-time prekeys; below 10 the server tells Bob
    await(anna.client().sessions().refreshDevices(bob.id()));
    await(anna.client().sessions().refreshDevices(bob.id()));
    assertEquals(10, bobsStock(bob));
    await(anna.client().sessions().refreshDevices(bob.id()));

    PrekeysLow low = bob.log().next(PrekeysLow.class);
    assertEquals(bob.device().deviceId(), low.deviceId());
    assertEquals(9, low.preKeys());
    PrekeysReplenished replenished = bob.log().next(PrekeysReplenished.class);
    assertEquals(12, replenished.preKeys());
    assertEquals(12, replenished.pqPreKeys());
    assertEquals(12, bobsStock(bob));

    // a session from the new batch works
    Member carl = member(server.user(partners.practice(), "Carl Vogt"), "Labor");
    Ciphertext hello = await(carl.client().sessions().encrypt(bob.id(), text("neu"))).get(0);
    assertEquals("neu", decrypt(bob, carl.device(), hello));
  }

  @Test
  void aRotatedSignedPrekeyServesNewSessionsWhileOldOnesStillOpen() {
    Partners partners = partners();
    Member anna = partners.anna();
    Member bob = partners.bob();
    // Anna's first message is built on Bob's first signed prekey and arrives after the rotation
    Ciphertext early = await(anna.client().sessions().encrypt(bob.id(), text("früh"))).get(0);

    await(bob.client().devices().rotateSignedPreKey());
    SignedPrekeyRotated rotated = bob.log().next(SignedPrekeyRotated.class);
    JsonObject device =
        server
            .api()
            .get("/api/v1/devices", server.login(bob.user()).accessToken())
            .array()
            .getJsonObject(0);
    assertEquals(rotated.signedPreKeyId(), device.getInteger("signedPreKeyId"));
    assertEquals(rotated.pqLastResortPreKeyId(), device.getInteger("pqLastResortPreKeyId"));

    assertEquals("früh", decrypt(bob, anna.device(), early));
    Member carl = member(server.user(partners.practice(), "Carl Vogt"), "Labor");
    Ciphertext late = await(carl.client().sessions().encrypt(bob.id(), text("spät"))).get(0);
    assertEquals("spät", decrypt(bob, carl.device(), late));
  }

  @Test
  void signedPrekeysOlderThanTheRotationPeriodAreRotatedAtTheNextConnect() {
    TestOrg practice = server.organisation("practice");
    TestUser anna = server.user(practice);
    MutableClock clock = new MutableClock(Instant.now());
    EventLog log = new EventLog();
    KonsilClient client =
        TestClients.client(
            vertx, TestClients.options(server, temp.resolve("rotating")).setClock(clock), log);
    await(client.login(anna.email(), anna.password(), SecondFactorPrompt.NONE));
    await(client.openKeyStore(anna.password().toCharArray()));
    await(client.devices().register("Empfang"));
    await(client.connect());
    int first = deviceJson(anna).getInteger("signedPreKeyId");

    clock.advance(Duration.ofDays(8));
    await(client.interruptConnection());
    SignedPrekeyRotated rotated = log.next(SignedPrekeyRotated.class);
    assertNotEquals(first, rotated.signedPreKeyId());
    assertEquals(rotated.signedPreKeyId(), deviceJson(anna).getInteger("signedPreKeyId"));
    await(client.close());
  }

  @Test
  void safetyNumbersAgreeOnBothSidesAndDifferBetweenPartners() {
    Partners partners = partners();
    Member anna = partners.anna();
    Member bob = partners.bob();
    Ciphertext hello = await(anna.client().sessions().encrypt(bob.id(), text("Hallo"))).get(0);
    decrypt(bob, anna.device(), hello);

    SafetyNumber annasView = await(anna.client().sessions().safetyNumber(bob.device()));
    SafetyNumber bobsView = await(bob.client().sessions().safetyNumber(anna.device()));
    assertEquals(60, annasView.digits().length());
    assertTrue(annasView.digits().matches("[0-9]{60}"));
    assertEquals(annasView.digits(), bobsView.digits());
    assertEquals(12, annasView.grouped().split("[ \n]").length, annasView.grouped());
    assertEquals(3, annasView.grouped().lines().count());

    Member carl = member(server.user(partners.practice(), "Carl Vogt"), "Labor");
    Ciphertext fromCarl = await(carl.client().sessions().encrypt(bob.id(), text("Hallo"))).get(0);
    decrypt(bob, carl.device(), fromCarl);
    assertNotEquals(
        annasView.digits(), await(bob.client().sessions().safetyNumber(carl.device())).digits());
  }

  @Test
  void aDeviceTheServerSubstitutesIsRefusedAndAnnounced() {
    Partners partners = partners();
    Member anna = partners.anna();
    Member bob = partners.bob();
    Ciphertext hello = await(anna.client().sessions().encrypt(bob.id(), text("Hallo"))).get(0);
    decrypt(bob, anna.device(), hello);
    SafetyNumber genuine = await(anna.client().sessions().safetyNumber(bob.device()));
    byte[] bobsKey = identityKey(bob);

    // whoever controls the database hands out a device of its own making as Bob's device
    IdentityKeyPair forged = substituteDevice(bob);
    IdentityKeyChangedException refused =
        assertInstanceOf(
            IdentityKeyChangedException.class,
            failure(anna.client().sessions().refreshDevices(bob.id())));
    assertEquals(bob.device(), refused.device());
    IdentityKeyChanged event = anna.log().next(IdentityKeyChanged.class);
    assertEquals(bob.id(), event.userId());
    assertEquals(bob.device().deviceId(), event.deviceId());
    assertArrayEquals(bobsKey, event.previousKey());
    assertArrayEquals(forged.getPublicKey().serialize(), event.newKey());
    // the safety number with the new key is not the one Bob's own device shows
    assertNotEquals(
        genuine.digits(),
        await(anna.client().sessions().safetyNumber(bob.device(), event.newKey())).digits());
    assertEquals(
        genuine.digits(), await(bob.client().sessions().safetyNumber(anna.device())).digits());
    // the session with the genuine device goes on
    Ciphertext next = await(anna.client().sessions().encrypt(bob.device(), text("weiter")));
    assertEquals("weiter", decrypt(bob, anna.device(), next));

    // only the user's decision makes the client trust the new key (here: wrongly)
    await(anna.client().sessions().trust(bob.device(), event.newKey()));
    assertEquals(List.of(bob.device()), await(anna.client().sessions().refreshDevices(bob.id())));
    Ciphertext toForged = await(anna.client().sessions().encrypt(bob.id(), text("an wen?"))).get(0);
    assertEquals(Ciphertext.PREKEY, toForged.type(), "a new session, with the forged device");
    assertInstanceOf(
        UndecryptableMessageException.class,
        failure(bob.client().sessions().decrypt(anna.device(), toForged.type(), toForged.body())));
  }

  @Test
  void aMessageFromAnImpostorOfAKnownDeviceIsRefusedAndAnnounced() {
    Partners partners = partners();
    Member anna = partners.anna();
    Member bob = partners.bob();
    Ciphertext hello = await(anna.client().sessions().encrypt(bob.id(), text("Hallo"))).get(0);
    decrypt(bob, anna.device(), hello);

    // Carl's device writes to Bob, and the message is passed off as one from Anna's device
    Member carl = member(server.user(partners.practice(), "Carl Vogt"), "Labor");
    Ciphertext forged =
        await(carl.client().sessions().encrypt(bob.id(), text("Ich bin Anna"))).get(0);
    assertInstanceOf(
        IdentityKeyChangedException.class,
        failure(bob.client().sessions().decrypt(anna.device(), forged.type(), forged.body())));
    IdentityKeyChanged event = bob.log().next(IdentityKeyChanged.class);
    assertEquals(anna.id(), event.userId());
    assertArrayEquals(identityKey(anna), event.previousKey());
    assertArrayEquals(identityKey(carl), event.newKey());

    Ciphertext real =
        await(anna.client().sessions().encrypt(bob.id(), text("wirklich Anna"))).get(0);
    assertEquals("wirklich Anna", decrypt(bob, anna.device(), real));
  }

  // ---- helpers ----

  private static byte[] text(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String decrypt(Member recipient, DeviceAddress sender, Ciphertext ciphertext) {
    return new String(
        await(recipient.client().sessions().decrypt(sender, ciphertext.type(), ciphertext.body())),
        StandardCharsets.UTF_8);
  }

  private static void assertRefused(
      UndecryptableMessageException.Reason reason,
      Member recipient,
      DeviceAddress sender,
      int type,
      byte[] body) {
    UndecryptableMessageException refused =
        assertInstanceOf(
            UndecryptableMessageException.class,
            failure(recipient.client().sessions().decrypt(sender, type, body)));
    assertEquals(reason, refused.reason(), refused.getMessage());
    assertEquals(sender, refused.sender());
  }

  /** The ciphertext with one bit flipped inside its authenticated part. */
  private static byte[] altered(byte[] body) {
    byte[] copy = body.clone();
    copy[copy.length - 12] ^= 1;
    return copy;
  }

  private static byte[] identityKey(Member member) {
    JsonObject device =
        server
            .api()
            .get("/api/v1/devices", server.login(member.user()).accessToken())
            .array()
            .getJsonObject(0);
    return java.util.Base64.getDecoder().decode(device.getString("identityKey"));
  }

  private static JsonObject deviceJson(TestUser user) {
    return server
        .api()
        .get("/api/v1/devices", server.login(user).accessToken())
        .array()
        .getJsonObject(0);
  }

  private static long bobsStock(Member bob) {
    return server
        .api()
        .get("/api/v1/devices", server.login(bob.user()).accessToken())
        .array()
        .getJsonObject(0)
        .getLong("preKeys");
  }

  private static io.vertx.core.Future<?> sessionsOf(KonsilClient client) {
    try {
      return client.sessions().hasSession(new DeviceAddress(UUID.randomUUID(), 1));
    } catch (IllegalStateException e) {
      return io.vertx.core.Future.failedFuture(e);
    }
  }

  /**
   * Replaces Bob's device in the key directory with keys of a made-up identity, as an operator with
   * database access could (the trigger that keeps a device's identity fixed is bypassed).
   */
  private static IdentityKeyPair substituteDevice(Member bob) {
    IdentityKeyPair forged = IdentityKeyPair.generate();
    ECKeyPair signed = ECKeyPair.generate();
    KEMKeyPair kem = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
    HexFormat hex = HexFormat.of();
    String sql =
        "SET session_replication_role = replica;"
            + " UPDATE devices SET identity_key = decode('"
            + hex.formatHex(forged.getPublicKey().serialize())
            + "', 'hex'), signed_prekey_id = 9001, signed_prekey = decode('"
            + hex.formatHex(signed.getPublicKey().serialize())
            + "', 'hex'), signed_prekey_signature = decode('"
            + hex.formatHex(
                forged.getPrivateKey().calculateSignature(signed.getPublicKey().serialize()))
            + "', 'hex'), pq_last_resort_id = 9002, pq_last_resort_key = decode('"
            + hex.formatHex(kem.getPublicKey().serialize())
            + "', 'hex'), pq_last_resort_signature = decode('"
            + hex.formatHex(
                forged.getPrivateKey().calculateSignature(kem.getPublicKey().serialize()))
            + "', 'hex') WHERE user_id = '"
            + bob.id()
            + "' AND device_id = "
            + bob.device().deviceId()
            + "; DELETE FROM one_time_prekeys WHERE device IN"
            + " (SELECT id FROM devices WHERE user_id = '"
            + bob.id()
            + "')";
    TestDatabase.execute(TestDatabase.superuser(server.database()), sql);
    return forged;
  }
}
