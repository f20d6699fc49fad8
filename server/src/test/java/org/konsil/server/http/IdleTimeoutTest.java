package org.konsil.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.RawWebSocket;
import org.konsil.server.testkit.TestSocket;

/** Connections that go silent are closed by the server; live WebSockets are kept. */
class IdleTimeoutTest {

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_HTTP_IDLE_TIMEOUT_SECONDS", "2")
          .with("KONSIL_WS_IDLE_TIMEOUT_SECONDS", "3");

  static Session anna;

  @BeforeAll
  static void setUp() {
    anna = server.login(server.organisation("practice").admin());
  }

  static Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", server.port());
    // far beyond the idle timeout: a read that ends by this limit means the server kept it open
    socket.setSoTimeout(20_000);
    return socket;
  }

  /** Reads until the server closes the connection; answers what came. */
  static String readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      all.write(buffer, 0, n);
    }
    return all.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aTcpConnectionThatSendsNothingIsClosedByTheServer() throws IOException {
    try (Socket socket = connect()) {
      long started = System.nanoTime();
      assertEquals("", readToEnd(socket.getInputStream()));
      assertTrue(System.nanoTime() - started < 15_000_000_000L, "closed after the idle timeout");
    }
  }

  @Test
  void aKeptAliveHttpConnectionIsClosedOnceIdle() throws IOException {
    try (Socket socket = connect()) {
      socket
          .getOutputStream()
          .write(
              "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      String response = readToEnd(socket.getInputStream());
      assertTrue(response.startsWith("HTTP/1.1 200"), response);
    }
  }

  @Test
  void aWebSocketThatAnswersPingsStaysOpenLongPastTheIdleTimeouts() {
    try (TestSocket socket = server.socket(anna)) {
      // the client library answers the server's pings with pongs, as browsers do
      socket.expectNone("error", 8_000);
      assertFalse(socket.isClosed());
      socket.send(new JsonObject().put("type", "ping").put("ref", "noch da"));
      assertEquals("noch da", socket.next("pong").getString("ref"));
    }
  }

  @Test
  void aWebSocketPeerThatAnswersNoPingIsClosedWith1001() throws IOException {
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, anna.accessToken())
            .json()
            .getString("ticket");
    try (RawWebSocket ws = RawWebSocket.connect(server.port(), "/api/v1/ws?ticket=" + ticket, 20)) {
      int pings = 0;
      while (true) {
        RawWebSocket.Frame frame = ws.next();
        if (frame.opcode() == RawWebSocket.PING) {
          pings++;
        } else if (frame.opcode() == RawWebSocket.CLOSE) {
          assertEquals(1001, frame.closeCode());
          break;
        }
      }
      assertTrue(pings >= 1, "the server pinged before giving up");
    }
  }
}
