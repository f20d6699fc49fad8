package org.konsil.server.messaging;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Joins a connection's incoming data frames into messages, checking them on the way: text must be
 * valid UTF-8 (RFC 6455 asks for close 1007 otherwise; decoding alone would silently turn bad bytes
 * into U+FFFD), and a message must not grow beyond the hard limit (close 1009). A UTF-8 sequence
 * may be split across the frames of one message, so the decoder's state is carried from frame to
 * frame. A message is handed on only once it is complete and found valid.
 */
final class InboundFrames {

  static final short OK = 0;
  static final short CLOSE_INVALID_TEXT = 1007;
  static final short CLOSE_TOO_BIG = 1009;

  private final long hardLimit;
  private final Consumer<String> onText;
  private final Runnable onBinary;
  private Buffer text;
  private long messageBytes;

  /** Continuation bytes still expected in the current UTF-8 sequence, and their allowed range. */
  private int pending;

  private int low = 0x80;
  private int high = 0xBF;

  InboundFrames(long hardLimit, Consumer<String> onText, Runnable onBinary) {
    this.hardLimit = hardLimit;
    this.onText = onText;
    this.onBinary = onBinary;
  }

  /** {@link #OK}, or the close code the connection must end with. */
  short accept(WebSocketFrame frame) {
    if (frame.isText()) {
      text = Buffer.buffer();
      messageBytes = 0;
      pending = 0;
    } else if (frame.isBinary()) {
      text = null;
      messageBytes = 0;
    } else if (!frame.isContinuation()) {
      return OK;
    }
    Buffer data = frame.binaryData();
    messageBytes += data.length();
    if (messageBytes > hardLimit) {
      text = null;
      return CLOSE_TOO_BIG;
    }
    if (text != null) {
      if (!validUtf8(data)) {
        text = null;
        return CLOSE_INVALID_TEXT;
      }
      text.appendBuffer(data);
      if (frame.isFinal()) {
        if (pending != 0) {
          text = null;
          return CLOSE_INVALID_TEXT;
        }
        String message = text.toString(StandardCharsets.UTF_8);
        text = null;
        onText.accept(message);
      }
    } else if (frame.isFinal()) {
      onBinary.run();
    }
    return OK;
  }

  /** Well-formed UTF-8 as in RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
  private boolean validUtf8(Buffer data) {
    for (int i = 0; i < data.length(); i++) {
      int b = data.getByte(i) & 0xff;
      if (pending > 0) {
        if (b < low || b > high) {
          return false;
        }
        pending--;
        low = 0x80;
        high = 0xBF;
      } else if (b >= 0x80) {
        if (b >= 0xC2 && b <= 0xDF) {
          expect(1, 0x80, 0xBF);
        } else if (b == 0xE0) {
          expect(2, 0xA0, 0xBF);
        } else if (b == 0xED) {
          expect(2, 0x80, 0x9F);
        } else if (b >= 0xE1 && b <= 0xEF) {
          expect(2, 0x80, 0xBF);
        } else if (b == 0xF0) {
          expect(3, 0x90, 0xBF);
        } else if (b >= 0xF1 && b <= 0xF3) {
          expect(3, 0x80, 0xBF);
        } else if (b == 0xF4) {
          expect(3, 0x80, 0x8F);
        } else {
          return false;
        }
      }
    }
    return true;
  }

  private void expect(int continuationBytes, int firstLow, int firstHigh) {
    pending = continuationBytes;
    low = firstLow;
    high = firstHigh;
  }
}
