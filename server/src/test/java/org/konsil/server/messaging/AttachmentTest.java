package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/** Files sent into rooms: checked from their bytes, size-limited, and readable by members only. */
class AttachmentTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_ATTACHMENT_MAX_MB", "1");

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response attach(
      Session session, UUID room, UUID clientMsgId, Buffer file, String name) {
    return server
        .api()
        .send(
            HttpMethod.POST,
            "/api/v1/rooms/"
                + room
                + "/attachments?clientMsgId="
                + clientMsgId
                + "&fileName="
                + name,
            session.accessToken(),
            "application/octet-stream",
            file);
  }

  @Test
  void membersSendAndOpenAttachmentsOfEveryKind() {
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket live = server.socket(network.tom())) {
      for (Buffer file :
          new Buffer[] {Documents.pdf(), Documents.png(), Documents.jpeg(), Documents.dicom()}) {
        Api.Response sent = attach(network.anna(), room, UUID.randomUUID(), file, "befund.bin");
        assertEquals(201, sent.status(), sent.body());
        JsonObject pushed = live.next("message");
        assertEquals("attachment", pushed.getString("kind"));
        JsonObject content = new JsonObject(pushed.getString("content"));
        assertEquals(file.length(), content.getLong("size"));
        Api.Response opened =
            server
                .api()
                .get(
                    "/api/v1/attachments/" + content.getString("attachmentId"),
                    network.tom().accessToken());
        assertEquals(200, opened.status());
        assertEquals(content.getString("mediaType"), opened.contentType());
        assertArrayEquals(file.getBytes(), opened.bytes().getBytes());

        Api.Response stranger =
            server
                .api()
                .get(
                    "/api/v1/attachments/" + content.getString("attachmentId"),
                    network.eve().accessToken());
        assertEquals(404, stranger.status());
        assertEquals(
            1,
            server.count(
                "SELECT count(*) FROM audit_events WHERE action = 'attachment.read' AND outcome = 'denied'"
                    + " AND object_id = '"
                    + content.getString("attachmentId")
                    + "' AND organisation_id = '"
                    + network.outsider().id()
                    + "'"));
      }
    }
  }

  @Test
  void resentAttachmentIsStoredOnce() {
    UUID room = server.room(network.anna(), network.careHome().id());
    UUID clientMsgId = UUID.randomUUID();
    Api.Response first = attach(network.anna(), room, clientMsgId, Documents.png(), "a.png");
    Api.Response again = attach(network.anna(), room, clientMsgId, Documents.png(), "a.png");
    assertEquals(201, first.status());
    assertEquals(200, again.status());
    assertTrue(again.json().getBoolean("duplicate"));
    assertEquals(
        1, server.count("SELECT count(*) FROM attachments WHERE room_id = '" + room + "'"));
  }

  @Test
  void wrongOversizedAndForeignUploadsAreRefusedAndNothingIsStored() {
    UUID room = server.room(network.anna(), network.careHome().id());
    long files = server.count("SELECT count(*) FROM stored_files");
    assertEquals(
        "unsupported_file_type",
        attach(network.anna(), room, UUID.randomUUID(), Documents.executable(), "x.pdf").code());
    assertEquals(
        "invalid_file",
        attach(network.anna(), room, UUID.randomUUID(), Documents.pdfHeaderOnGarbage(), "x.pdf")
            .code());
    Buffer big = Buffer.buffer(new byte[2 * 1024 * 1024]);
    big.setBytes(0, Documents.png().getBytes(0, 8));
    Api.Response tooBig = attach(network.anna(), room, UUID.randomUUID(), big, "big.png");
    assertEquals(413, tooBig.status());
    assertEquals(
        "not_a_member",
        attach(network.eve(), room, UUID.randomUUID(), Documents.png(), "x.png").code());
    Api.Response noId =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/" + room + "/attachments",
                network.anna().accessToken(),
                "image/png",
                Documents.png());
    assertEquals("validation_failed", noId.code());
    assertEquals(files, server.count("SELECT count(*) FROM stored_files"));
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
    assertEquals(
        404,
        server.api().get("/api/v1/attachments/not-an-id", network.tom().accessToken()).status());
  }

  @Test
  void aChunkedUploadIsCutOffAtTheLimitWhileItStreams() throws Exception {
    UUID room = server.room(network.anna(), network.careHome().id());
    long files = server.count("SELECT count(*) FROM stored_files");
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(15_000);
      java.io.OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/v1/rooms/"
                  + room
                  + "/attachments?clientMsgId="
                  + UUID.randomUUID()
                  + " HTTP/1.1\r\n"
                  + "Host: localhost\r\nAuthorization: Bearer "
                  + network.anna().accessToken()
                  + "\r\n"
                  + "Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      System.arraycopy(Documents.png().getBytes(0, 8), 0, chunk, 0, 8);
      String answer = "";
      try {
        // 2 MiB in 64 KiB chunks against a limit of 1 MiB; no Content-Length to refuse early
        for (int i = 0; i < 32; i++) {
          out.write(
              (Integer.toHexString(chunk.length) + "\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.flush();
        }
        out.write("0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.flush();
      } catch (java.io.IOException closedEarly) {
        // the server may close the connection while the client still sends: that is the point
      }
      byte[] buffer = new byte[4096];
      int read = socket.getInputStream().read(buffer);
      answer =
          read > 0 ? new String(buffer, 0, read, java.nio.charset.StandardCharsets.US_ASCII) : "";
      assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
      assertTrue(answer.contains("payload_too_large"), answer);
    }
    Waiting.until(
        () -> {
          try (var incoming =
              java.nio.file.Files.list(server.dataDir().resolve("files").resolve("incoming"))) {
            return incoming.count() == 0;
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        "the partial file is removed");
    assertEquals(files, server.count("SELECT count(*) FROM stored_files"));
  }

  @Test
  void revocationWithholdsAttachmentsAndRefusesNewOnes() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Anhang");
    UUID patient = patientRoom.patient();
    UUID room = patientRoom.room();
    JsonObject ack =
        attach(network.anna(), room, UUID.randomUUID(), Documents.jpeg(), "wunde.jpg").json();
    String content =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages", network.tom().accessToken())
            .json()
            .getJsonArray("messages")
            .getJsonObject(0)
            .getString("content");
    String attachmentId = new JsonObject(content).getString("attachmentId");
    assertEquals(
        200,
        server
            .api()
            .get("/api/v1/attachments/" + attachmentId, network.tom().accessToken())
            .status());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'attachment.read' AND object_id = '"
                + attachmentId
                + "' AND organisation_id = '"
                + network.practice().id()
                + "'"),
        "a partner reading the patient's files is in the patient organisation's log");

    assertEquals(
        200,
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=2026-11-22",
                network.anna().accessToken(),
                null,
                null)
            .status());
    Api.Response withheld =
        server.api().get("/api/v1/attachments/" + attachmentId, network.tom().accessToken());
    assertEquals(409, withheld.status());
    assertEquals("consent_revoked", withheld.code());
    JsonObject masked =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages", network.tom().accessToken())
            .json()
            .getJsonArray("messages")
            .getJsonObject(0);
    assertEquals(ack.getLong("seq"), masked.getLong("seq"));
    assertNull(masked.getString("content"));
    long files = server.count("SELECT count(*) FROM stored_files");
    assertEquals(
        "consent_revoked",
        attach(network.anna(), room, UUID.randomUUID(), Documents.png(), "neu.png").code());
    assertEquals(files, server.count("SELECT count(*) FROM stored_files"));
  }
}
