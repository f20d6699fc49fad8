package org.konsil.server.testkit;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A WebSocket client on a bare TCP socket, for what a well-behaved client library will not do: send
 * bytes that are not UTF-8, frames of any size, or never answer a ping. What it sends is unchecked;
 * every whole text frame it receives is checked against {@code docs/asyncapi.yaml}.
 */
public final class RawWebSocket implements AutoCloseable {

  /** One frame as it came from the server. */
  public record Frame(int opcode, boolean fin, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** The status code of a close frame. */
    public int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }
  }

  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects and completes the handshake; reads block for at most the given seconds. */
  public static RawWebSocket connect(int port, String uri, int readTimeoutSeconds)
      throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(readTimeoutSeconds * 1000);
    RawWebSocket ws = new RawWebSocket(socket);
    String key = Base64.getEncoder().encodeToString(new byte[16]);
    ws.out.write(
        ("GET "
                + uri
                + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: "
                + key
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      head.append((char) ws.in.readUnsignedByte());
    }
    if (!head.toString().startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("handshake refused: " + head);
    }
    return ws;
  }

  /** Sends one frame, masked as a client must. */
  public RawWebSocket send(int opcode, boolean fin, byte[] payload) throws IOException {
    byte[] mask = {0x11, 0x22, 0x33, 0x44};
    java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65_536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length & 0xff);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) (((long) payload.length >> shift) & 0xff));
      }
    }
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    out.write(frame.toByteArray());
    out.flush();
    return this;
  }

  public RawWebSocket sendText(String text) throws IOException {
    return send(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The next frame from the server, control frames included. */
  public Frame next() throws IOException {
    int first = in.readUnsignedByte();
    int second = in.readUnsignedByte();
    long length = second & 0x7f;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    Frame frame = new Frame(first & 0x0f, (first & 0x80) != 0, payload);
    if (frame.opcode() == TEXT && frame.fin()) {
      FrameContract.get().checkServerFrame(frame.text());
    }
    return frame;
  }

  /** Reads frames until a text frame of the type arrives; answers it as JSON. */
  public io.vertx.core.json.JsonObject next(String type) throws IOException {
    while (true) {
      Frame frame = next();
      if (frame.opcode() == TEXT) {
        io.vertx.core.json.JsonObject json = new io.vertx.core.json.JsonObject(frame.text());
        if (type.equals(json.getString("type"))) {
          return json;
        }
      } else if (frame.opcode() == CLOSE) {
        throw new AssertionError("closed with " + frame.closeCode() + " before a " + type);
      }
    }
  }

  /** Reads until the server's close frame; answers its status code. */
  public int awaitClose() throws IOException {
    while (true) {
      Frame frame = next();
      if (frame.opcode() == CLOSE) {
        return frame.closeCode();
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
