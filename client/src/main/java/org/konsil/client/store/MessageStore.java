package org.konsil.client.store;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import javax.crypto.SecretKey;

/**
 * The decrypted messages of end-to-end encrypted rooms, kept in the key-store folder: one file per
 * room ({@code history-<roomId>}), sealed with AES-256-GCM under the store's data key like the
 * protocol store's files (owner-only, written through, an altered file refused), so the history
 * survives a restart and is unreadable without the password. Each message is a JSON object under
 * its sequence number; {@link #wipe} deletes a room's file.
 *
 * <p>A room's file is rewritten whole on every message, which suits the size of a care conversation
 * (thousands of messages), not an archive of millions.
 *
 * <p>Thread-safe; every method may block on the disk, so call it off the event loop.
 */
public final class MessageStore {

  static final String PREFIX = "history-";

  private final SealedFolder folder;
  private final Supplier<SecretKey> key;
  private final Map<UUID, TreeMap<String, byte[]>> rooms = new HashMap<>();

  MessageStore(SealedFolder folder, Supplier<SecretKey> key) {
    this.folder = folder;
    this.key = key;
  }

  /** Keeps a message of the room (a repeat of the same seq replaces it). */
  public synchronized void put(UUID room, long seq, JsonObject message) {
    TreeMap<String, byte[]> entries = load(room);
    entries.put(seqKey(seq), message.encode().getBytes(StandardCharsets.UTF_8));
    folder.writeSealed(key.get(), name(room), Entries.encode(entries));
  }

  /** The room's kept messages in sequence order. */
  public synchronized List<JsonObject> history(UUID room) {
    List<JsonObject> messages = new ArrayList<>();
    for (byte[] bytes : load(room).values()) {
      messages.add(new JsonObject(new String(bytes, StandardCharsets.UTF_8)));
    }
    return messages;
  }

  /** The message with this seq, or null. */
  public synchronized JsonObject message(UUID room, long seq) {
    byte[] bytes = load(room).get(seqKey(seq));
    return bytes == null ? null : new JsonObject(new String(bytes, StandardCharsets.UTF_8));
  }

  /** The rooms with kept messages. */
  public synchronized List<UUID> rooms() {
    List<UUID> ids = new ArrayList<>();
    for (String name : folder.names(PREFIX)) {
      try {
        ids.add(UUID.fromString(name.substring(PREFIX.length())));
      } catch (IllegalArgumentException e) {
        // not a history file
      }
    }
    return ids;
  }

  /** The room's kept messages as stored (for a backup). */
  synchronized TreeMap<String, byte[]> entries(UUID room) {
    return new TreeMap<>(load(room));
  }

  /**
   * Adds messages of a backup that the room's file does not hold yet (one kept here wins); answers
   * how many were added.
   */
  synchronized int merge(UUID room, Map<String, byte[]> restored) {
    TreeMap<String, byte[]> entries = load(room);
    int added = 0;
    for (Map.Entry<String, byte[]> entry : restored.entrySet()) {
      if (entries.putIfAbsent(entry.getKey(), entry.getValue()) == null) {
        added++;
      }
    }
    if (added > 0) {
      folder.writeSealed(key.get(), name(room), Entries.encode(entries));
    }
    return added;
  }

  /** Deletes the room's file; answers how many messages it held. */
  public synchronized int wipe(UUID room) {
    int count = load(room).size();
    rooms.remove(room);
    folder.delete(name(room));
    return count;
  }

  private TreeMap<String, byte[]> load(UUID room) {
    TreeMap<String, byte[]> entries = rooms.get(room);
    if (entries == null) {
      byte[] plain = folder.readSealed(key.get(), name(room));
      entries = plain == null ? new TreeMap<>() : Entries.decode(plain);
      rooms.put(room, entries);
    }
    return entries;
  }

  private static String name(UUID room) {
    return PREFIX + room;
  }

  private static String seqKey(long seq) {
    return String.format("%019d", seq);
  }
}
