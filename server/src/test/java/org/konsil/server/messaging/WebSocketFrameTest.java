package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.RawWebSocket;

/** Frames a client library would not send: bytes that are not UTF-8, and oversized messages. */
class WebSocketFrameTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_WS_MAX_FRAME_BYTES", "4096");

  static Session anna;
  static UUID room;

  @BeforeAll
  static void setUp() {
    anna = server.login(server.organisation("practice").admin());
    room = server.room(anna, server.organisation("care_home").id());
  }

  static RawWebSocket ready() throws IOException {
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, anna.accessToken())
            .json()
            .getString("ticket");
    RawWebSocket ws = RawWebSocket.connect(server.port(), "/api/v1/ws?ticket=" + ticket, 15);
    ws.next("ready");
    return ws;
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    return all.toByteArray();
  }

  @Test
  void invalidUtf8InATextFrameClosesWith1007() throws IOException {
    byte[][] invalid = {
      {(byte) 0xff}, // never in UTF-8
      {(byte) 0xc3, 0x28}, // a lead byte without its continuation
      {(byte) 0xc0, (byte) 0xaf}, // an overlong '/'
      {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a UTF-16 surrogate
      {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80} // above U+10FFFF
    };
    for (byte[] bad : invalid) {
      try (RawWebSocket ws = ready()) {
        ws.send(
            RawWebSocket.TEXT,
            true,
            concat(
                bytes("{\"type\":\"send\",\"room\":\"" + room + "\",\"content\":\""),
                bad,
                bytes("\",\"clientMsgId\":\"" + UUID.randomUUID() + "\"}")));
        assertEquals(1007, ws.awaitClose());
      }
    }
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void aCharacterSplitAcrossFragmentsIsFineButATruncatedOneIsNot() throws IOException {
    byte[] umlaut = bytes("ä");
    try (RawWebSocket ws = ready()) {
      ws.send(
          RawWebSocket.TEXT,
          false,
          concat(bytes("{\"type\":\"ping\",\"ref\":\""), new byte[] {umlaut[0]}));
      ws.send(RawWebSocket.CONTINUATION, true, concat(new byte[] {umlaut[1]}, bytes("\"}")));
      assertEquals("ä", ws.next("pong").getString("ref"));

      ws.send(RawWebSocket.TEXT, false, bytes("{\"type\":\"ping\",\"ref\":\"x\"}"));
      ws.send(RawWebSocket.CONTINUATION, true, new byte[] {umlaut[0]});
      assertEquals(1007, ws.awaitClose());
    }
  }

  @Test
  void aFrameFarAboveTheLimitClosesWith1009() throws IOException {
    try (RawWebSocket ws = ready()) {
      ws.sendText("{\"type\":\"ping\",\"ref\":\"" + "x".repeat(5_000) + "\"}");
      assertEquals("frame_too_large", ws.next("error").getString("code"));
      ws.sendText("{\"type\":\"ping\",\"ref\":\"" + "x".repeat(20_000) + "\"}");
      assertEquals(1009, ws.awaitClose());
    }
  }

  @Test
  void aMessageOfManySmallFragmentsFarAboveTheLimitClosesWith1009() throws IOException {
    try (RawWebSocket ws = ready()) {
      ws.send(RawWebSocket.TEXT, false, bytes("{\"type\":\"ping\",\"ref\":\""));
      for (int i = 0; i < 10; i++) {
        ws.send(RawWebSocket.CONTINUATION, false, bytes("y".repeat(2_000)));
      }
      ws.send(RawWebSocket.CONTINUATION, true, bytes("\"}"));
      assertEquals(1009, ws.awaitClose());
    }
  }
}
