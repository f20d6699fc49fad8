package org.konsil.desktop;

import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.konsil.client.KonsilClient;
import org.konsil.client.http.KonsilApiException;
import org.konsil.client.live.Ack;
import org.konsil.client.live.SendRefusedException;

/**
 * One browser tab's WebSocket, relayed to a WebSocket of the companion's server session (one
 * without a device, so it carries no envelopes). Frames from the server reach the page in the order
 * they came, encrypted messages decrypted on the way ({@link Plaintexts}). A {@code send} into an
 * end-to-end encrypted room is encrypted here by the client library (which owns the device's
 * sessions) and answered with an {@code ack} of the same shape as the server's; every other frame
 * goes on unchanged.
 */
final class Relay {

  private final ServerWebSocket browser;
  private final KonsilClient client;
  private final Plaintexts plaintexts;
  private WebSocket upstream;
  private Future<Void> toBrowser = Future.succeededFuture();
  private boolean closed;

  Relay(ServerWebSocket browser, KonsilClient client, Plaintexts plaintexts) {
    this.browser = browser;
    this.client = client;
    this.plaintexts = plaintexts;
  }

  /** Connects to the server; the page's frames wait until then. */
  void start() {
    browser.pause();
    browser.closeHandler(v -> closeUpstream());
    client
        .openWebSocket()
        .onSuccess(
            ws -> {
              upstream = ws;
              if (closed) {
                ws.close();
                return;
              }
              ws.textMessageHandler(this::fromServer);
              ws.closeHandler(
                  v -> {
                    Short code = ws.closeStatusCode();
                    closeBrowser(code == null ? 1001 : code, ws.closeReason());
                  });
              browser.textMessageHandler(this::fromPage);
              browser.resume();
            })
        .onFailure(
            failure ->
                // 4001 makes the page renew its session and try again, as with the server
                closeBrowser(
                    failure instanceof KonsilApiException api && api.status() == 401 ? 4003 : 1013,
                    "server not reachable"));
  }

  private synchronized void fromServer(String text) {
    toBrowser =
        toBrowser
            .compose(v -> plaintexts.frame(text))
            .compose(
                frame -> closed ? Future.<Void>succeededFuture() : browser.writeTextMessage(frame))
            .recover(failure -> Future.succeededFuture());
  }

  private void fromPage(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException e) {
      forward(text);
      return;
    }
    if (!"send".equals(frame.getString("type"))) {
      forward(text);
      return;
    }
    UUID room;
    try {
      room = UUID.fromString(frame.getString("room"));
    } catch (RuntimeException e) {
      forward(text);
      return;
    }
    plaintexts
        .encrypted(room)
        .onSuccess(
            encrypted -> {
              if (encrypted) {
                sendEncrypted(room, frame);
              } else {
                forward(text);
              }
            })
        // not known here (no such room, not a member): the server answers as it does
        .onFailure(failure -> forward(text));
  }

  private void forward(String text) {
    if (upstream != null && !upstream.isClosed()) {
      upstream.writeTextMessage(text);
    }
  }

  private void sendEncrypted(UUID room, JsonObject frame) {
    JsonObject context = new JsonObject();
    if (frame.getValue("ref") != null) {
      context.put("ref", frame.getValue("ref"));
    }
    String clientMsgId = frame.getString("clientMsgId");
    if (clientMsgId != null) {
      context.put("clientMsgId", clientMsgId);
    }
    context.put("room", room.toString());
    if (frame.getValue("replyTo") != null || frame.getValue("corrects") != null) {
      answerError(
          context,
          "not_in_encrypted_rooms",
          "Replies and corrections are not available in end-to-end encrypted rooms yet.");
      return;
    }
    UUID id;
    try {
      id = clientMsgId == null ? UUID.randomUUID() : UUID.fromString(clientMsgId);
    } catch (IllegalArgumentException e) {
      answerError(context, "validation_failed", "clientMsgId is not a UUID.");
      return;
    }
    String content = frame.getString("content");
    client
        .encryptedRooms()
        .send(room, content, id)
        .onSuccess(ack -> answer(ackFrame(context, ack)))
        .onFailure(failure -> refused(context, failure));
  }

  private static JsonObject ackFrame(JsonObject context, Ack ack) {
    return context.copy().mergeIn(Companion.ackJson(ack)).put("type", "ack");
  }

  private void refused(JsonObject context, Throwable failure) {
    if (failure instanceof SendRefusedException refused) {
      answerError(context, refused.code(), refused.getMessage());
    } else if (failure instanceof KonsilApiException api) {
      answerError(context, api.code(), api.getMessage());
    } else if (failure instanceof IllegalArgumentException invalid) {
      answerError(context, "validation_failed", invalid.getMessage());
    } else {
      answerError(context, "unavailable", "The message could not be sent; try again.");
    }
  }

  private void answerError(JsonObject context, String code, String detail) {
    answer(context.copy().put("type", "error").put("code", code).put("detail", detail));
  }

  /** A frame of the companion's own, in line with the server's frames. */
  private synchronized void answer(JsonObject frame) {
    String text = frame.encode();
    toBrowser =
        toBrowser
            .compose(v -> closed ? Future.<Void>succeededFuture() : browser.writeTextMessage(text))
            .recover(failure -> Future.succeededFuture());
  }

  private void closeUpstream() {
    closed = true;
    if (upstream != null && !upstream.isClosed()) {
      upstream.close();
    }
  }

  private void closeBrowser(int code, String reason) {
    if (closed) {
      return;
    }
    closed = true;
    if (!browser.isClosed()) {
      browser.close((short) code, reason == null ? "" : reason);
    }
  }
}
