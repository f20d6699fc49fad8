package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestSocket;
import org.postgresql.PGConnection;

/**
 * Files in encrypted rooms are encrypted by the sender and kept by the server as ciphertext only;
 * and after encrypted exchanges neither a dump of every table, nor the database's own data and
 * write-ahead-log files, nor the files folder hold any of the plaintexts or file contents.
 */
class EncryptedStorageTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_PREKEY_FETCH_LIMIT", "1000");

  private static final SecureRandom RANDOM = new SecureRandom();

  record Team(TestOrg practice, TestOrg careHome, Session anna, Session tom, UUID room) {}

  static Team team() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    Session anna = server.login(practice.admin());
    Session tom = server.login(careHome.admin());
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "Befunde")
                    .put("encrypted", true)
                    .put("partnerOrganisationIds", new JsonArray().add(careHome.id().toString())),
                anna.accessToken());
    assertEquals(201, created.status(), created.body());
    return new Team(practice, careHome, anna, tom, UUID.fromString(created.json().getString("id")));
  }

  /** AES-256-GCM under a fresh key, as a client encrypts a file: the nonce, then the ciphertext. */
  static byte[] encrypt(byte[] key, byte[] plain) throws Exception {
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    byte[] sealed = cipher.doFinal(plain);
    byte[] out = new byte[nonce.length + sealed.length];
    System.arraycopy(nonce, 0, out, 0, nonce.length);
    System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
    return out;
  }

  static byte[] decrypt(byte[] key, byte[] sealed) throws Exception {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(key, "AES"),
        new GCMParameterSpec(128, sealed, 0, 12));
    return cipher.doFinal(sealed, 12, sealed.length - 12);
  }

  static Api.Response upload(Session session, UUID room, byte[] body) {
    return server
        .api()
        .send(
            HttpMethod.POST,
            "/api/v1/rooms/" + room + "/encrypted-attachments",
            session.accessToken(),
            "application/octet-stream",
            Buffer.buffer(body));
  }

  /**
   * Uploads the file encrypted under a fresh key and sends the key in an encrypted message to the
   * recipients; answers the message's plaintext.
   */
  static JsonObject sendFile(
      Team team, E2eDevice sender, List<E2eDevice> recipients, byte[] file, String name)
      throws Exception {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    byte[] sealed = encrypt(key, file);
    Api.Response kept = upload(sender.session, team.room(), sealed);
    assertEquals(201, kept.status(), kept.body());
    assertEquals(sealed.length, kept.json().getLong("size"));
    assertEquals(
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sealed)),
        kept.json().getString("sha256"));
    JsonObject plain =
        new JsonObject()
            .put("attachmentId", kept.json().getString("attachmentId"))
            .put("key", Base64.getEncoder().encodeToString(key))
            .put("fileName", name)
            .put("mediaType", "application/pdf");
    Api.Response sent =
        sender.send(team.room(), UUID.randomUUID(), sender.seal(plain.encode(), recipients));
    assertEquals(201, sent.status(), sent.body());
    return plain;
  }

  static byte[] download(Session session, String attachmentId) {
    Api.Response file =
        server.api().get("/api/v1/attachments/" + attachmentId, session.accessToken());
    assertEquals(200, file.status(), file.body());
    assertEquals("application/octet-stream", file.contentType());
    return file.bytes().getBytes();
  }

  @Test
  void aFileIsKeptAsCiphertextAndOpenedWithTheKeyFromTheMessage() throws Exception {
    Team team = team();
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());
    byte[] pdf = Documents.pdf().getBytes();

    try (TestSocket tomWs = tomsPc.socket()) {
      JsonObject sent = sendFile(team, laptop, List.of(tomsPc), pdf, "befund.pdf");
      JsonObject received = new JsonObject(tomsPc.open(tomWs.next("message")));
      assertEquals(sent, received);
      byte[] ciphertext = download(team.tom(), received.getString("attachmentId"));
      assertArrayEquals(
          pdf, decrypt(Base64.getDecoder().decode(received.getString("key")), ciphertext));
    }
    // the server knows neither name nor kind: bytes only, and they are not the document
    String attachment =
        "SELECT f.media_type || ' ' || coalesce(f.file_name, '-') FROM stored_files f"
            + " JOIN attachments a ON a.file_id = f.id WHERE a.room_id = '"
            + team.room()
            + "'";
    assertEquals(1, server.count("SELECT count(*) FROM (" + attachment + ") x"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM stored_files f JOIN attachments a ON a.file_id = f.id"
                + " WHERE a.room_id = '"
                + team.room()
                + "' AND f.media_type = 'application/octet-stream' AND f.file_name IS NULL"));

    // not into a plain room, not by an outsider, not empty; no message is stored for a file
    Api.Response plainRoom =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", "offen")
                    .put(
                        "partnerOrganisationIds",
                        new JsonArray().add(team.careHome().id().toString())),
                team.anna().accessToken());
    UUID plain = UUID.fromString(plainRoom.json().getString("id"));
    Api.Response intoPlain = upload(team.anna(), plain, new byte[] {1, 2, 3});
    assertEquals(409, intoPlain.status(), intoPlain.body());
    assertEquals("room_not_encrypted", intoPlain.code());
    Session eve = server.login(server.organisation("pharmacy").admin());
    Api.Response outsider = upload(eve, team.room(), new byte[] {1, 2, 3});
    assertEquals(403, outsider.status(), outsider.body());
    assertEquals("not_a_member", outsider.code());
    Api.Response empty = upload(team.anna(), team.room(), new byte[0]);
    assertTrue(empty.status() == 400 || empty.status() == 422, empty.body());
    assertEquals(
        1, server.count("SELECT count(*) FROM attachments WHERE room_id = '" + team.room() + "'"));
    assertEquals(
        1, server.count("SELECT count(*) FROM messages WHERE room_id = '" + team.room() + "'"));
  }

  @Test
  void neitherTheDatabaseNorTheFilesHoldAnyPlaintext() throws Exception {
    Team team = team();
    E2eDevice laptop = E2eDevice.register(server, team.anna());
    E2eDevice phone = E2eDevice.register(server, team.anna());
    E2eDevice tomsPc = E2eDevice.register(server, team.tom());

    // what must stay between the devices
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String text = "Blutzucker nuechtern 312 mg/dl, Patientin Krause " + UUID.randomUUID();
      secrets.add(text);
      laptop.send(team.room(), UUID.randomUUID(), laptop.seal(text, List.of(phone, tomsPc)));
    }
    String answer = "Insulin angepasst, Kontrolle morgen " + UUID.randomUUID();
    secrets.add(answer);
    tomsPc.send(team.room(), UUID.randomUUID(), tomsPc.seal(answer, List.of(laptop, phone)));
    String finding = "Befund Roentgen Thorax: kein Infiltrat " + UUID.randomUUID();
    secrets.add(finding);
    JsonObject file =
        sendFile(
            team,
            laptop,
            List.of(phone, tomsPc),
            finding.getBytes(StandardCharsets.UTF_8),
            "roentgen.txt");
    secrets.add(file.getString("key"));
    // and a message of a plain room, which the same search must find: the search can see
    String control = "Kontrolltext im offenen Raum " + UUID.randomUUID();
    UUID plainRoom = server.room(team.anna(), team.careHome().id());
    server.sendRest(team.anna(), plainRoom, control);

    DatabaseSettings db = server.database();
    String dump;
    Path dataDirectory;
    long databaseOid;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
      dump = dumpAllTables(c);
      try (ResultSet r = s.executeQuery("SHOW data_directory")) {
        r.next();
        dataDirectory = Path.of(r.getString(1));
      }
      try (ResultSet r =
          s.executeQuery("SELECT oid FROM pg_database WHERE datname = current_database()")) {
        r.next();
        databaseOid = r.getLong(1);
      }
    }
    assertTrue(dump.contains(control), "the dump shows a plain room's text");
    assertTrue(dump.contains(team.room().toString()), "and the encrypted room's rows");
    for (String secret : secrets) {
      for (String form : forms(secret)) {
        assertFalse(dump.contains(form), "the dump holds " + secret);
      }
    }

    // the database's own files: the tables of this database and the write-ahead log
    List<Path> raw = new ArrayList<>();
    raw.addAll(files(dataDirectory.resolve("base").resolve(Long.toString(databaseOid))));
    raw.addAll(files(dataDirectory.resolve("pg_wal")));
    assertTrue(anyHolds(raw, control), "the raw files show a plain room's text");
    for (String secret : secrets) {
      assertFalse(anyHolds(raw, secret), "the database files hold " + secret);
    }

    // the files folder keeps the ciphertext only
    List<Path> stored = files(server.dataDir());
    assertFalse(stored.isEmpty());
    for (String secret : secrets) {
      assertFalse(anyHolds(stored, secret), "the files folder holds " + secret);
    }
  }

  /**
   * Every table's rows as COPY writes them, which is the data of a pg_dump: the embedded PostgreSQL
   * ships no pg_dump of its version, and an older one refuses a newer server.
   */
  static String dumpAllTables(Connection c) throws Exception {
    List<String> tables = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")) {
      while (r.next()) {
        tables.add(r.getString(1));
      }
    }
    assertTrue(tables.contains("message_envelopes"), tables.toString());
    StringWriter out = new StringWriter();
    for (String table : tables) {
      out.write("-- " + table + "\n");
      c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY " + table + " TO STDOUT", out);
    }
    return out.toString();
  }

  /** The text as it would appear in a dump: as is, as bytea hex, as base64. */
  static List<String> forms(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return List.of(
        text,
        HexFormat.of().formatHex(bytes),
        Base64.getEncoder().encodeToString(bytes).substring(0, 24));
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
        continue; // a file the database removed meanwhile (a recycled log segment)
      }
      if (indexOf(content, needle) >= 0) {
        return true;
      }
    }
    return false;
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
