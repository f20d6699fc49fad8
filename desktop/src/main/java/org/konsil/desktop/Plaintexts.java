package org.konsil.desktop;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.konsil.client.KonsilClient;
import org.konsil.client.encrypted.EncryptedFile;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomHistoryWiped;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.event.UndecryptableMessage;

/**
 * What the page sees of end-to-end encrypted rooms: every message the server sends as kind {@code
 * encrypted} is put back in the shape of a plain message (kind {@code text}, or {@code attachment}
 * for a file) with the text this device decrypted. The device's own connection decrypts and keeps
 * messages; a frame or a history page that names one not decrypted yet waits for it a little, and
 * one this device cannot read (sent before it existed, altered) stays the server's placeholder.
 */
final class Plaintexts {

  /** How long a live frame waits for its message to be decrypted. */
  static final long LIVE_WAIT_MILLIS = 10_000;

  /** How long a history page waits for the messages it names, all together. */
  static final long PAGE_WAIT_MILLIS = 3_000;

  private final Vertx vertx;
  private final KonsilClient client;
  private final Map<String, List<Promise<EncryptedMessage>>> waiting = new ConcurrentHashMap<>();
  private final Set<String> unreadable = ConcurrentHashMap.newKeySet();

  /** attachment id → the file and its room */
  private final Map<UUID, RoomFile> files = new ConcurrentHashMap<>();

  private final Map<UUID, Boolean> encryptedRooms = new ConcurrentHashMap<>();

  Plaintexts(Vertx vertx, KonsilClient client) {
    this.vertx = vertx;
    this.client = client;
  }

  private record RoomFile(UUID room, EncryptedFile file) {}

  /**
   * The client's events: a decrypted or unreadable message ends the wait for it; a room whose
   * plaintext the library wiped (the patient revoked consent) loses its file keys here too.
   */
  void onEvent(ClientEvent event) {
    if (event instanceof RoomHistoryWiped wiped) {
      files.values().removeIf(kept -> kept.room().equals(wiped.room()));
    } else if (event instanceof EncryptedMessage message) {
      settle(key(message.room(), message.seq()), message);
    } else if (event instanceof UndecryptableMessage refused) {
      unreadable.add(key(refused.room(), refused.seq()));
      settle(key(refused.room(), refused.seq()), null);
    } else if (event instanceof RoomMessage plain && "encrypted".equals(plain.kind())) {
      // delivered as it came (masked, or without an envelope for this device)
      unreadable.add(key(plain.room(), plain.seq()));
      settle(key(plain.room(), plain.seq()), null);
    }
  }

  /** Whether the room is end-to-end encrypted (asked of the server once; it never changes). */
  Future<Boolean> encrypted(UUID room) {
    Boolean known = encryptedRooms.get(room);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return client
        .getObject("/api/v1/rooms/" + room)
        .map(
            view -> {
              boolean encrypted = view.getBoolean("encrypted", false);
              encryptedRooms.put(room, encrypted);
              return encrypted;
            });
  }

  /** The file a decrypted message named, by its attachment id; null if none did. */
  EncryptedFile file(UUID attachmentId) {
    RoomFile kept = attachmentId == null ? null : files.get(attachmentId);
    return kept == null ? null : kept.file();
  }

  /**
   * A live {@code message} frame as the page gets it: an encrypted message decrypted, anything else
   * as it came.
   */
  Future<String> frame(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException e) {
      return Future.succeededFuture(text);
    }
    if (!"message".equals(frame.getString("type")) || !readable(frame)) {
      return Future.succeededFuture(text);
    }
    return open(frame, LIVE_WAIT_MILLIS).map(JsonObject::encode);
  }

  /** A history page ({@code messages}) with its encrypted messages decrypted. */
  Future<JsonObject> page(JsonObject page) {
    JsonArray messages = page.getJsonArray("messages");
    if (messages == null) {
      return Future.succeededFuture(page);
    }
    List<Future<JsonObject>> opened = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      Object item = messages.getValue(i);
      if (item instanceof JsonObject message && readable(message)) {
        opened.add(open(message, PAGE_WAIT_MILLIS));
      } else {
        opened.add(Future.succeededFuture(item instanceof JsonObject json ? json : null));
      }
    }
    return Future.join(opened)
        .transform(
            done -> {
              JsonArray out = new JsonArray();
              for (int i = 0; i < opened.size(); i++) {
                JsonObject result = opened.get(i).result();
                out.add(result != null ? result : messages.getValue(i));
              }
              return Future.succeededFuture(page.copy().put("messages", out));
            });
  }

  /** The room list with the preview of an encrypted last message taken from what is kept here. */
  Future<JsonArray> rooms(JsonArray rooms) {
    List<Future<Void>> previews = new ArrayList<>();
    for (int i = 0; i < rooms.size(); i++) {
      if (!(rooms.getValue(i) instanceof JsonObject room)) {
        continue;
      }
      JsonObject last = room.getJsonObject("lastMessage");
      if (last == null
          || !"encrypted".equals(last.getString("kind"))
          || last.getBoolean("masked", false)
          || room.getString("id") == null) {
        continue;
      }
      UUID id = UUID.fromString(room.getString("id"));
      previews.add(
          client
              .encryptedRooms()
              .message(id, last.getLong("seq"))
              .map(
                  kept -> {
                    if (kept != null) {
                      JsonObject shown = plain(new JsonObject(), kept);
                      String excerpt = shown.getString("content", "");
                      last.put("kind", shown.getString("kind"))
                          .put(
                              "excerpt",
                              excerpt.length() > 120 ? excerpt.substring(0, 120) : excerpt);
                    }
                    return (Void) null;
                  })
              .otherwise((Void) null));
    }
    return Future.join(previews).transform(done -> Future.succeededFuture(rooms));
  }

  private static boolean readable(JsonObject message) {
    return "encrypted".equals(message.getString("kind"))
        && !message.getBoolean("masked", false)
        && message.getString("room") != null
        && message.getValue("seq") instanceof Number;
  }

  /**
   * The message decrypted, or as it came if this device has not got (or cannot read) it in time.
   */
  private Future<JsonObject> open(JsonObject message, long waitMillis) {
    UUID room = UUID.fromString(message.getString("room"));
    long seq = message.getLong("seq");
    return decrypted(room, seq, waitMillis)
        .map(kept -> kept == null ? message : plain(message.copy(), kept))
        .otherwise(message);
  }

  private Future<EncryptedMessage> decrypted(UUID room, long seq, long waitMillis) {
    String key = key(room, seq);
    // wait first, then look: a message decrypted in between is found either way; one known to be
    // unreadable waits for nothing (but is still looked for: a message delivered again after a
    // restart is reported as a duplicate while the store holds it)
    Promise<EncryptedMessage> promise = Promise.promise();
    waiting.compute(
        key,
        (k, promises) -> {
          List<Promise<EncryptedMessage>> list = promises == null ? new ArrayList<>() : promises;
          list.add(promise);
          return list;
        });
    long timer = vertx.setTimer(waitMillis, t -> settle(key, null));
    client
        .encryptedRooms()
        .message(room, seq)
        .onSuccess(
            kept -> {
              if (kept != null || unreadable.contains(key)) {
                settle(key, kept);
              }
            });
    return promise.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  private void settle(String key, EncryptedMessage message) {
    List<Promise<EncryptedMessage>> promises = waiting.remove(key);
    if (promises != null) {
      // taken out of the map atomically: nobody adds to this list any more
      for (Promise<EncryptedMessage> promise : promises) {
        promise.tryComplete(message);
      }
    }
  }

  /** The server's message with the decrypted content in place of the placeholder. */
  private JsonObject plain(JsonObject message, EncryptedMessage kept) {
    message.remove("envelope");
    message.put("endToEnd", true);
    EncryptedFile file = kept.file();
    if (file != null) {
      files.put(file.attachmentId(), new RoomFile(kept.room(), file));
      message
          .put("kind", "attachment")
          .put(
              "content",
              new JsonObject()
                  .put("attachmentId", file.attachmentId().toString())
                  .put("fileName", file.fileName())
                  .put("mediaType", file.mediaType())
                  .put("size", file.size())
                  .encode());
    } else {
      message.put("kind", "text").put("content", kept.text());
    }
    return message;
  }

  private static String key(UUID room, long seq) {
    return room + ":" + seq;
  }
}
