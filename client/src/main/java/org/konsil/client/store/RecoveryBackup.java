package org.konsil.client.store;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;

/**
 * The recovery backup of a store: the device's identity (identity key pair, registration id, device
 * id, owner), the pinned identity keys of partner devices and the decrypted history of every room,
 * sealed with AES-256-GCM under a key derived from the recovery code with Argon2id. The blob is a
 * JSON object with the Argon2id parameters, the salt and the sealed bytes; the user id is bound in
 * as associated data, so a backup cannot be passed off as another user's.
 */
public final class RecoveryBackup {

  private static final String HISTORY = "history/";
  private static final String IDENTITY = "identity/";
  private static final String PINNED = "pinned/";

  private RecoveryBackup() {}

  /** What a restore took in. */
  public record Restored(int rooms, int messages, int previousDeviceId) {}

  /** Seals the store's backup with the recovery code. */
  public static byte[] seal(ProtocolStore store, RecoveryCode code, StoreSettings settings) {
    TreeMap<String, byte[]> payload = new TreeMap<>();
    store.backupIdentity().forEach((name, value) -> payload.put(IDENTITY + name, value));
    store.pinnedIdentities().forEach((name, value) -> payload.put(PINNED + name, value));
    MessageStore messages = store.messages();
    for (UUID room : messages.rooms()) {
      payload.put(HISTORY + room, Entries.encode(messages.entries(room)));
    }
    byte[] salt = new byte[16];
    Sealing.RANDOM.nextBytes(salt);
    SecretKey key = DataKey.derive(code.chars(), salt, settings);
    byte[] sealed = Sealing.seal(key, name(store.userId()), Entries.encode(payload));
    JsonObject blob =
        new JsonObject()
            .put("format", 1)
            .put("kdf", "argon2id")
            .put("memoryKib", settings.memoryKib())
            .put("iterations", settings.iterations())
            .put("parallelism", settings.parallelism())
            .put("salt", Base64.getEncoder().encodeToString(salt))
            .put("sealed", Base64.getEncoder().encodeToString(sealed));
    return blob.encode().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Opens a backup with the recovery code and takes it into the store: the history of every room
   * (messages the store holds already stay), the partner keys pinned there, and the previous
   * identity beside the store's own. {@link WrongRecoveryCodeException} when the code does not open
   * it; then nothing is changed.
   */
  public static Restored restore(ProtocolStore store, RecoveryCode code, byte[] blob) {
    Map<String, byte[]> payload = open(store.userId(), code, blob);
    TreeMap<String, byte[]> previous = new TreeMap<>();
    TreeMap<String, byte[]> pinned = new TreeMap<>();
    TreeMap<UUID, TreeMap<String, byte[]>> history = new TreeMap<>();
    for (Map.Entry<String, byte[]> entry : payload.entrySet()) {
      String name = entry.getKey();
      if (name.startsWith(IDENTITY)) {
        previous.put(name.substring(IDENTITY.length()), entry.getValue());
      } else if (name.startsWith(PINNED)) {
        pinned.put(name.substring(PINNED.length()), entry.getValue());
      } else if (name.startsWith(HISTORY)) {
        history.put(
            UUID.fromString(name.substring(HISTORY.length())), Entries.decode(entry.getValue()));
      }
    }
    String owner = new String(previous.get("userId"), StandardCharsets.UTF_8);
    if (!owner.equals(store.userId().toString())) {
      throw new LocalStoreException("The backup belongs to another user");
    }
    int messages = 0;
    for (Map.Entry<UUID, TreeMap<String, byte[]>> room : history.entrySet()) {
      messages += store.messages().merge(room.getKey(), room.getValue());
    }
    store.restoreFrom(previous, pinned);
    byte[] device = previous.get("deviceId");
    int deviceId = device == null ? 0 : java.nio.ByteBuffer.wrap(device).getInt();
    return new Restored(history.size(), messages, deviceId);
  }

  private static Map<String, byte[]> open(UUID user, RecoveryCode code, byte[] blob) {
    StoreSettings settings;
    byte[] salt;
    byte[] sealed;
    try {
      JsonObject json = new JsonObject(new String(blob, StandardCharsets.UTF_8));
      if (json.getInteger("format") != 1 || !"argon2id".equals(json.getString("kdf"))) {
        throw new IllegalArgumentException("unknown format");
      }
      settings =
          new StoreSettings(
              json.getInteger("memoryKib"),
              json.getInteger("iterations"),
              json.getInteger("parallelism"));
      salt = Base64.getDecoder().decode(json.getString("salt"));
      sealed = Base64.getDecoder().decode(json.getString("sealed"));
    } catch (RuntimeException e) {
      throw new LocalStoreException("The recovery backup is damaged or not a Konsil backup", e);
    }
    SecretKey key = DataKey.derive(code.chars(), salt, settings);
    try {
      byte[] plain = Sealing.open(key, name(user), sealed);
      try {
        return Entries.decode(plain);
      } finally {
        Arrays.fill(plain, (byte) 0);
      }
    } catch (AEADBadTagException e) {
      throw new WrongRecoveryCodeException(
          "The recovery code does not open the backup; check it against the recovery sheet"
              + " (a newer backup replaces older codes)");
    }
  }

  private static String name(UUID user) {
    return "recovery-backup/" + user;
  }
}
