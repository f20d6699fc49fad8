package org.konsil.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.konsil.client.TestClients.await;
import static org.konsil.client.TestClients.failure;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.konsil.client.e2e.Ciphertext;
import org.konsil.client.e2e.DeviceAddress;
import org.konsil.client.encrypted.EncryptedFile;
import org.konsil.client.encrypted.EncryptedRooms;
import org.konsil.client.encrypted.FileRefusedException;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomDevicesChanged;
import org.konsil.client.event.RoomHistoryWiped;
import org.konsil.client.event.RoomRevoked;
import org.konsil.client.event.ThisDeviceRemoved;
import org.konsil.client.event.UndecryptableMessage;
import org.konsil.client.live.Ack;
import org.konsil.client.live.SendRefusedException;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.DatabaseDump;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.Waiting;

/**
 * Client-library instances in end-to-end encrypted rooms of a real server: text and files both
 * ways, a device added mid-conversation, a stale device list corrected transparently, altered and
 * replayed envelopes reported without harm to what follows, the history kept across a restart, a
 * removed device, and a revocation that wipes a partner's plaintext while the patient's
 * organisation keeps it; the server's database and files hold none of the plaintexts.
 */
class EncryptedRoomsTest {

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

  /** A user's device: its client (registered, connected), its events and its key folder. */
  record Device(TestUser user, KonsilClient client, EventLog log, Path keys) {
    UUID userId() {
      return client.account().id();
    }

    DeviceAddress address() {
      return client.sessions().self();
    }

    EncryptedMessage next(UUID room) {
      return log.next(EncryptedMessage.class, m -> m.room().equals(room));
    }

    /** The next message of the room from someone else. */
    EncryptedMessage received(UUID room) {
      return log.next(EncryptedMessage.class, m -> m.room().equals(room) && !m.ownMessage());
    }
  }

  record Team(TestOrg practice, TestOrg careHome, TestUser annaUser, TestUser bobUser) {}

  Team team() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    return new Team(
        practice,
        careHome,
        server.user(practice, "Anna Berger"),
        server.user(careHome, "Bob Lindner"));
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

  Device device(TestUser user, String name) {
    return device(user, name, temp.resolve(UUID.randomUUID().toString()).resolve("keys"), true);
  }

  Device device(TestUser user, String name, Path keys, boolean register) {
    EventLog log = new EventLog();
    KonsilClient client = TestClients.client(vertx, TestClients.options(server, keys), log);
    started.add(client);
    await(client.login(user.email(), user.password(), SecondFactorPrompt.NONE));
    await(client.openKeyStore(user.password().toCharArray()));
    if (register) {
      await(client.devices().register(name));
    }
    await(client.connect());
    return new Device(user, client, log, keys);
  }

  @Test
  void envelopesAndFilesArePaddedSoTheirSizesTellTheServerLittle() throws Exception {
    Team team = team();
    UUID room = encryptedRoom(team.annaUser(), team.careHome().id());
    Device anna = device(team.annaUser(), "Praxis-PC");
    Device bob = device(team.bobUser(), "Stationsrechner");
    Ack shortOne = await(anna.client().encryptedRooms().send(room, "ja"));
    Ack longer = await(anna.client().encryptedRooms().send(room, "Wunde reizlos, Verband neu"));
    Ack longest = await(anna.client().encryptedRooms().send(room, "x".repeat(400)));
    assertEquals("ja", bob.received(room).text());
    assertEquals("Wunde reizlos, Verband neu", bob.received(room).text());
    assertEquals("x".repeat(400), bob.received(room).text());
    long first = envelopeSize(room, shortOne.seq(), bob);
    assertEquals(first, envelopeSize(room, longer.seq(), bob), "2 and 26 characters look alike");
    assertTrue(envelopeSize(room, longest.seq(), bob) > first + 200);

    // a file of 1,000 bytes is stored as 1,052: nonce, Padmé length of 1,024, tag
    byte[] content = new byte[1_000];
    Arrays.fill(content, (byte) 'b');
    await(anna.client().encryptedRooms().sendFile(room, "werte.csv", "text/csv", content, null));
    EncryptedMessage file = bob.log().next(EncryptedMessage.class, m -> m.file() != null);
    Api.Response stored =
        server
            .api()
            .get(
                "/api/v1/attachments/" + file.file().attachmentId(),
                server.login(team.bobUser()).accessToken());
    assertEquals(200, stored.status());
    assertEquals(12 + 1_024 + 16, stored.bytes().length());
    assertArrayEquals(content, await(bob.client().encryptedRooms().download(file.file())));
  }

  static long envelopeSize(UUID room, long seq, Device recipient) {
    return server.count(
        "SELECT length(ciphertext) FROM message_envelopes WHERE room_id = '"
            + room
            + "' AND seq = "
            + seq
            + " AND recipient_user_id = '"
            + recipient.userId()
            + "'");
  }

  @Test
  void textGoesBothWaysIsConfirmedAndSurvivesARestart() throws Exception {
    Team team = team();
    UUID room = encryptedRoom(team.annaUser(), team.careHome().id());
    Device anna = device(team.annaUser(), "Praxis-PC");
    Device bob = device(team.bobUser(), "Stationsrechner");

    Ack first = await(anna.client().encryptedRooms().send(room, "Wunde reizlos, Verband neu"));
    assertEquals(1, first.seq());
    EncryptedMessage received = bob.next(room);
    assertEquals("Wunde reizlos, Verband neu", received.text());
    assertEquals(first.seq(), received.seq());
    assertEquals(anna.userId(), received.senderId());
    assertEquals(anna.address().deviceId(), received.senderDevice());
    assertFalse(received.ownMessage());
    // the sender gets its own message in the sequence too, from what it kept
    EncryptedMessage own = anna.next(room);
    assertTrue(own.ownMessage());
    assertEquals("Wunde reizlos, Verband neu", own.text());

    Ack answer = await(bob.client().encryptedRooms().send(room, "Danke, Fieber 37,2"));
    assertEquals(2, answer.seq());
    assertEquals("Danke, Fieber 37,2", anna.next(room).text());
    assertEquals("Danke, Fieber 37,2", bob.next(room).text());

    // the same clientMsgId again stores nothing new
    UUID id = UUID.randomUUID();
    Ack once = await(bob.client().encryptedRooms().send(room, "nur einmal", id));
    Ack again = await(bob.client().encryptedRooms().send(room, "nur einmal", id));
    assertEquals(once.seq(), again.seq());
    assertTrue(again.duplicate());
    assertEquals("nur einmal", anna.next(room).text());

    // Anna writes while Bob is offline and while his connection drops: he gets every message once,
    // in order, decrypted
    await(bob.client().disconnect());
    await(anna.client().encryptedRooms().send(room, "offline eins"));
    await(anna.client().encryptedRooms().send(room, "offline zwei"));
    await(bob.client().connect());
    assertEquals("offline eins", bob.received(room).text());
    assertEquals("offline zwei", bob.received(room).text());
    await(bob.client().interruptConnection());
    await(anna.client().encryptedRooms().send(room, "nach dem Abbruch"));
    assertEquals("nach dem Abbruch", bob.received(room).text());
    assertEquals(
        List.of(1L, 2L, 3L, 4L, 5L, 6L),
        bob.log().all(EncryptedMessage.class).stream().map(EncryptedMessage::seq).toList());

    // each device confirmed what it decrypted
    Waiting.until(
        () ->
            server.count(
                    "SELECT count(*) FROM device_room_positions WHERE room_id = '"
                        + room
                        + "' AND user_id = '"
                        + bob.userId()
                        + "' AND seq = 6")
                == 1,
        "Bob's device confirms what it received");

    // plain text into the room is refused, an empty text before it leaves
    assertEquals(
        "encryption_required",
        ((SendRefusedException) failure(anna.client().send(room, "im Klartext"))).code());
    assertInstanceOf(
        IllegalArgumentException.class, failure(anna.client().encryptedRooms().send(room, " ")));

    // Bob's client stops and starts again: the history is read from its sealed store
    await(bob.client().close());
    started.remove(bob.client());
    Device bobAgain = device(team.bobUser(), "Stationsrechner", bob.keys(), false);
    List<EncryptedMessage> history = await(bobAgain.client().encryptedRooms().history(room));
    assertEquals(
        List.of(
            "Wunde reizlos, Verband neu",
            "Danke, Fieber 37,2",
            "nur einmal",
            "offline eins",
            "offline zwei",
            "nach dem Abbruch"),
        history.stream().map(EncryptedMessage::text).toList());
    assertEquals(
        List.of(false, true, true, false, false, false),
        history.stream().map(m -> m.ownMessage()).toList());
    // and the store's files hold none of it readable
    assertFalse(anyHolds(files(bob.keys()), "Fieber 37,2"));
    assertFalse(anyHolds(files(bob.keys()), "Wunde reizlos"));
    // it goes on receiving after the restart
    await(anna.client().encryptedRooms().send(room, "nach dem Neustart"));
    assertEquals("nach dem Neustart", bobAgain.next(room).text());

    // a room where no one else has a device yet: nothing goes out, and the reason is clear
    UUID lonely = encryptedRoom(team.annaUser(), server.organisation("pharmacy").id());
    assertEquals(
        EncryptedRooms.NO_RECIPIENT_DEVICES,
        ((SendRefusedException) failure(anna.client().encryptedRooms().send(lonely, "hallo?")))
            .code());
  }

  @Test
  void aFileGoesEncryptedAndAnAlteredOneIsRefusedAndTheServerHoldsNoPlaintext() throws Exception {
    Team team = team();
    UUID room = encryptedRoom(team.annaUser(), team.careHome().id());
    Device anna = device(team.annaUser(), "Praxis-PC");
    Device bob = device(team.bobUser(), "Stationsrechner");

    String secretText = "Befund vertraulich " + UUID.randomUUID();
    String fileContent = "Roentgen Thorax: kein Infiltrat " + UUID.randomUUID();
    byte[] file = fileContent.getBytes(StandardCharsets.UTF_8);
    await(anna.client().encryptedRooms().send(room, secretText));
    assertEquals(secretText, bob.next(room).text());
    await(
        anna.client()
            .encryptedRooms()
            .sendFile(room, "thorax.txt", "text/plain", file, "Aufnahme von heute"));
    EncryptedMessage withFile = bob.next(room);
    EncryptedFile named = withFile.file();
    assertNotNull(named);
    assertEquals("thorax.txt", named.fileName());
    assertEquals("text/plain", named.mediaType());
    assertEquals(file.length, named.size());
    assertEquals("Aufnahme von heute", withFile.text());
    assertArrayEquals(file, await(bob.client().encryptedRooms().download(named)));

    // a digest that is not the file's, and a ciphertext that is not the one the key seals
    EncryptedFile wrongDigest =
        new EncryptedFile(
            named.attachmentId(),
            named.key(),
            "0".repeat(64),
            named.fileName(),
            named.mediaType(),
            named.size());
    assertInstanceOf(
        FileRefusedException.class, failure(bob.client().encryptedRooms().download(wrongDigest)));
    await(
        bob.client()
            .encryptedRooms()
            .sendFile(room, "other.txt", "text/plain", "anderes".getBytes(), null));
    EncryptedFile other =
        anna.log().next(EncryptedMessage.class, m -> m.file() != null && !m.ownMessage()).file();
    assertEquals("other.txt", other.fileName());
    EncryptedFile swapped =
        new EncryptedFile(
            other.attachmentId(),
            named.key(),
            named.sha256(),
            named.fileName(),
            named.mediaType(),
            named.size());
    assertInstanceOf(
        FileRefusedException.class, failure(bob.client().encryptedRooms().download(swapped)));

    // the server's tables (as COPY writes them), the database's own files and write-ahead log,
    // and its files folder hold none of it; the same search finds a plain room's text
    String control = "Kontrolltext im offenen Raum " + UUID.randomUUID();
    UUID plainRoom = server.room(server.login(team.annaUser()), team.careHome().id());
    server.sendRest(server.login(team.annaUser()), plainRoom, control);
    String dump = DatabaseDump.of(server.database());
    assertTrue(dump.contains(room.toString()), "the dump has the room's rows");
    assertTrue(dump.contains(control), "the dump shows a plain room's text");
    List<Path> raw = databaseFiles();
    assertTrue(anyHolds(raw, control), "the raw files show a plain room's text");
    for (String secret :
        List.of(secretText, fileContent, Base64.getEncoder().encodeToString(named.key()))) {
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      assertFalse(dump.contains(secret), "the dump holds " + secret);
      assertFalse(dump.contains(HexFormat.of().formatHex(bytes)), "the dump holds " + secret);
      assertFalse(anyHolds(raw, secret), "the database files hold " + secret);
      assertFalse(anyHolds(files(server.dataDir()), secret), "the files hold " + secret);
    }
  }

  @Test
  void aNewDeviceGetsTheFollowingMessagesAfterTheStaleListWasCorrected() {
    Team team = team();
    UUID room = encryptedRoom(team.annaUser(), team.careHome().id());
    Device anna = device(team.annaUser(), "Praxis-PC");
    Device bob = device(team.bobUser(), "Stationsrechner");

    Ack before = await(anna.client().encryptedRooms().send(room, "vor dem neuen Gerät"));
    assertEquals("vor dem neuen Gerät", bob.next(room).text());

    // Bob adds a tablet; Anna's client still knows the room's old devices
    Device tablet = device(team.bobUser(), "Tablet");
    Ack after = await(anna.client().encryptedRooms().send(room, "nach dem neuen Gerät"));
    assertEquals(before.seq() + 1, after.seq());
    RoomDevicesChanged corrected = anna.log().next(RoomDevicesChanged.class);
    assertEquals(List.of(tablet.address()), corrected.added());
    assertEquals(List.of(), corrected.removed());
    assertEquals("nach dem neuen Gerät", tablet.next(room).text());
    assertEquals("nach dem neuen Gerät", bob.next(room).text());
    // the tablet has no envelope of the message before it
    JsonArray history =
        server
            .api()
            .get(
                "/api/v1/rooms/"
                    + room
                    + "/messages?device="
                    + tablet.address().deviceId()
                    + "&limit=10",
                server.login(team.bobUser()).accessToken())
            .json()
            .getJsonArray("messages");
    JsonObject earlier = find(history, before.seq());
    assertNull(earlier.getValue("envelope"));
    assertNotNull(find(history, after.seq()).getValue("envelope"));

    // the tablet writes: Anna and Bob's other device read it
    await(tablet.client().encryptedRooms().send(room, "vom Tablet"));
    assertEquals("vom Tablet", anna.received(room).text());
    assertEquals("vom Tablet", bob.next(room).text());

    // Bob removes the tablet: its client stops and says so
    Api.Response removed =
        server
            .api()
            .send(
                HttpMethod.DELETE,
                "/api/v1/devices/" + tablet.address().deviceId(),
                server.login(team.bobUser()).accessToken(),
                null,
                null);
    assertEquals(204, removed.status(), removed.body());
    assertEquals(
        tablet.address().deviceId(), tablet.log().next(ThisDeviceRemoved.class).deviceId());
    // and Anna's next message leaves it out after one more correction
    await(anna.client().encryptedRooms().send(room, "ohne Tablet"));
    assertEquals(List.of(tablet.address()), anna.log().next(RoomDevicesChanged.class).removed());
    assertEquals("ohne Tablet", bob.next(room).text());
  }

  @Test
  void anAlteredAndAReplayedEnvelopeAreReportedAndTheNextMessageArrives() {
    Team team = team();
    UUID room = encryptedRoom(team.annaUser(), team.careHome().id());
    Device anna = device(team.annaUser(), "Praxis-PC");
    Device bob = device(team.bobUser(), "Stationsrechner");
    // a second device of Anna's that builds its envelopes by hand (as a modified client would)
    Device rogue = device(team.annaUser(), "Laptop");

    List<Ciphertext> genuine = seal(rogue, room, "echt vom Laptop", anna, bob);
    long genuineSeq = post(rogue, room, genuine, null);
    assertEquals("echt vom Laptop", bob.next(room).text());

    // Bob answers, so that the laptop's next envelopes are plain Signal messages (not prekey ones)
    await(bob.client().encryptedRooms().send(room, "Antwort"));
    assertEquals("Antwort", rogue.received(room).text());

    List<Ciphertext> toAlter = seal(rogue, room, "wird verfälscht", anna, bob);
    assertEquals(
        Ciphertext.WHISPER,
        toAlter.stream().filter(c -> c.recipient().equals(bob.address())).findFirst().get().type());
    long alteredSeq = post(rogue, room, toAlter, bob.address());
    long replayedSeq = post(rogue, room, genuine, null);

    await(anna.client().encryptedRooms().send(room, "danach wieder echt"));
    UndecryptableMessage altered = bob.log().next(UndecryptableMessage.class);
    assertEquals(alteredSeq, altered.seq());
    assertEquals("INVALID", altered.reason());
    UndecryptableMessage replayed = bob.log().next(UndecryptableMessage.class);
    assertEquals(replayedSeq, replayed.seq());
    assertEquals("DUPLICATE", replayed.reason());
    EncryptedMessage next = bob.received(room);
    assertEquals("danach wieder echt", next.text());
    assertTrue(next.seq() > replayedSeq && replayedSeq > alteredSeq && alteredSeq > genuineSeq);
  }

  @Test
  void aRevocationWipesThePartnersPlaintextAndThePatientsOrganisationKeepsIt() throws Exception {
    Team team = team();
    Session annaSession = server.login(team.annaUser());
    UUID patient = server.patient(annaSession, "Krause");
    assertEquals(
        201,
        server
            .uploadConsent(
                annaSession, patient, Documents.pdf(), "application/pdf", team.careHome().id())
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
                    .put(
                        "partnerOrganisationIds",
                        new JsonArray().add(team.careHome().id().toString())),
                annaSession.accessToken());
    assertEquals(201, created.status(), created.body());
    UUID room = UUID.fromString(created.json().getString("id"));
    Device anna = device(team.annaUser(), "Praxis-PC");
    Device bob = device(team.bobUser(), "Stationsrechner");

    await(anna.client().encryptedRooms().send(room, "Dekubitus Grad 2"));
    assertEquals("Dekubitus Grad 2", bob.next(room).text());
    await(bob.client().encryptedRooms().send(room, "Lagerung alle 2 h"));
    assertTrue(anna.next(room).ownMessage());
    assertEquals("Lagerung alle 2 h", anna.next(room).text());
    assertEquals(2, await(bob.client().encryptedRooms().history(room)).size());
    assertTrue(Files.exists(bob.keys().resolve("history-" + room)));

    Api.Response revoked =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/"
                    + patient
                    + "/revocation?date="
                    + LocalDate.ofInstant(server.clock.instant(), ZoneOffset.UTC),
                annaSession.accessToken(),
                null,
                null);
    assertEquals(200, revoked.status(), revoked.body());

    // the partner's client wipes the room's plaintext from its store
    RoomHistoryWiped wiped = bob.log().next(RoomHistoryWiped.class);
    assertEquals(room, wiped.room());
    assertEquals(2, wiped.messagesRemoved());
    assertEquals(List.of(), await(bob.client().encryptedRooms().history(room)));
    assertFalse(Files.exists(bob.keys().resolve("history-" + room)));
    assertFalse(anyHolds(files(bob.keys()), "Lagerung alle 2 h"));
    // the patient's organisation keeps it (documentation duty)
    anna.log().next(RoomRevoked.class);
    List<EncryptedMessage> kept = await(anna.client().encryptedRooms().history(room));
    assertEquals(
        List.of("Dekubitus Grad 2", "Lagerung alle 2 h"),
        kept.stream().map(EncryptedMessage::text).toList());
    assertTrue(anna.log().all(RoomHistoryWiped.class).isEmpty());
    // nothing new goes in
    assertEquals(
        "consent_revoked",
        ((SendRefusedException) failure(anna.client().encryptedRooms().send(room, "noch was")))
            .code());
  }

  // ---- helpers ----

  /**
   * Envelopes made by hand for every device of the room but the sender: the text in the library's
   * payload format.
   */
  private static List<Ciphertext> seal(Device sender, UUID room, String text, Device... members) {
    byte[] payload =
        new JsonObject()
            .put("v", 1)
            .put("room", room.toString())
            .put("clientMsgId", UUID.randomUUID().toString())
            .put("text", text)
            .encode()
            .getBytes(StandardCharsets.UTF_8);
    // padded as the library pads: the mark 0x80, then zeros to a multiple of 160 bytes
    byte[] padded = Arrays.copyOf(payload, (payload.length / 160 + 1) * 160);
    padded[payload.length] = (byte) 0x80;
    payload = padded;
    List<Ciphertext> envelopes = new ArrayList<>();
    for (Device member : members) {
      envelopes.addAll(await(sender.client().sessions().encrypt(member.userId(), payload)));
    }
    return envelopes;
  }

  /** Posts the envelopes (the one for {@code alter} altered) and answers the message's seq. */
  private static long post(
      Device sender, UUID room, List<Ciphertext> ciphertexts, DeviceAddress alter) {
    JsonArray envelopes = new JsonArray();
    for (Ciphertext c : ciphertexts) {
      byte[] body = c.body().clone();
      if (c.recipient().equals(alter)) {
        body[body.length - 12] ^= 1;
      }
      envelopes.add(
          new JsonObject()
              .put("userId", c.recipient().userId().toString())
              .put("deviceId", c.recipient().deviceId())
              .put("type", c.type())
              .put("ciphertext", Base64.getEncoder().encodeToString(body)));
    }
    Api.Response sent =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("device", sender.address().deviceId())
                    .put("envelopes", envelopes),
                server.login(sender.user()).accessToken());
    assertEquals(201, sent.status(), sent.body());
    return sent.json().getLong("seq");
  }

  /** The database's own files (after a checkpoint) and its write-ahead log. */
  private static List<Path> databaseFiles() throws Exception {
    DatabaseSettings db = server.database();
    Path dataDirectory;
    long oid;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
      try (ResultSet r = s.executeQuery("SHOW data_directory")) {
        r.next();
        dataDirectory = Path.of(r.getString(1));
      }
      try (ResultSet r =
          s.executeQuery("SELECT oid FROM pg_database WHERE datname = current_database()")) {
        r.next();
        oid = r.getLong(1);
      }
    }
    List<Path> raw =
        new ArrayList<>(files(dataDirectory.resolve("base").resolve(Long.toString(oid))));
    raw.addAll(files(dataDirectory.resolve("pg_wal")));
    return raw;
  }

  private static JsonObject find(JsonArray messages, long seq) {
    for (int i = 0; i < messages.size(); i++) {
      if (messages.getJsonObject(i).getLong("seq") == seq) {
        return messages.getJsonObject(i);
      }
    }
    throw new AssertionError("no message " + seq + " in " + messages.encode());
  }

  static List<Path> files(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(folder)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  static boolean anyHolds(List<Path> files, String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    for (Path file : files) {
      byte[] content;
      try {
        content = Files.readAllBytes(file);
      } catch (IOException gone) {
        continue;
      }
      outer:
      for (int i = 0; i <= content.length - needle.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (content[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
    }
    return false;
  }
}
