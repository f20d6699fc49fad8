package org.konsil.client.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.SecretKey;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidKeyIdException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.ReusedBaseKeyException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.groups.state.SenderKeyRecord;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SessionRecord;
import org.signal.libsignal.protocol.state.SignalProtocolStore;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;
import org.signal.libsignal.protocol.util.KeyHelper;

/**
 * libsignal's protocol store (the device's identity, its prekeys, signed prekeys and Kyber prekeys,
 * sessions, partners' identity keys, sender keys) kept in a local folder: each kind in a file of
 * its own, sealed with the store's data key (see {@link DataKey}), written through on every change.
 *
 * <p>Trust: a partner device's identity key is taken on first use; a different key for the same
 * device afterwards is not trusted in either direction until {@link #trust} accepts it (Konsil
 * never changes a device's identity key, so a change means a substituted device).
 *
 * <p>Thread-safe; every method may block on the disk, so call it off the event loop.
 */
public final class ProtocolStore implements SignalProtocolStore, AutoCloseable {

  private static final String IDENTITY = "identity";
  private static final String PREKEYS = "prekeys";
  private static final String SIGNED_PREKEYS = "signed-prekeys";
  private static final String KYBER_PREKEYS = "kyber-prekeys";
  private static final String SESSIONS = "sessions";
  private static final String IDENTITIES = "identities";
  private static final String SENDER_KEYS = "sender-keys";
  private static final List<String> FILES =
      List.of(IDENTITY, PREKEYS, SIGNED_PREKEYS, KYBER_PREKEYS, SESSIONS, IDENTITIES, SENDER_KEYS);

  /** libsignal takes key ids as unsigned 32 bits, the key directory the positive half. */
  private static final int MAX_KEY_ID = Integer.MAX_VALUE - 1;

  private static final byte ONE_TIME = 0;
  private static final byte LAST_RESORT = 1;

  private final SealedFolder folder;
  private SecretKey key;
  private final Map<String, TreeMap<String, byte[]>> files = new HashMap<>();
  private final IdentityKeyPair identity;
  private final int registrationId;
  private boolean closed;
  private MessageStore messages;

  private ProtocolStore(SealedFolder folder, SecretKey key) {
    this.folder = folder;
    this.key = key;
    for (String name : FILES) {
      byte[] plain = folder.readSealed(key, name);
      files.put(name, plain == null ? new TreeMap<>() : Entries.decode(plain));
    }
    TreeMap<String, byte[]> own = files.get(IDENTITY);
    if (!own.containsKey("identityKeyPair")) {
      throw new LocalStoreException("The key store in " + folder.path() + " has no identity");
    }
    try {
      this.identity = new IdentityKeyPair(own.get("identityKeyPair"));
    } catch (InvalidKeyException e) {
      throw new LocalStoreException("The identity in the key store is damaged", e);
    }
    this.registrationId = intOf(own, "registrationId", 0);
  }

  /** Whether the folder holds a store (its key file). */
  public static boolean exists(Path dir) {
    return dir.resolve(DataKey.FILE).toFile().isFile();
  }

  /**
   * Makes a new store with a new identity key pair and registration id for the user of this server,
   * locked with the password.
   */
  public static ProtocolStore create(
      Path dir, char[] password, StoreSettings settings, UUID userId, String server) {
    SealedFolder folder = SealedFolder.open(dir);
    try {
      if (folder.exists(DataKey.FILE)) {
        throw new LocalStoreException("There is a key store in " + folder.path() + " already");
      }
      // the data key first: it is what makes a folder a store, and it seals everything else
      SecretKey key = DataKey.create(folder, password, settings);
      TreeMap<String, byte[]> own = new TreeMap<>();
      own.put("identityKeyPair", IdentityKeyPair.generate().serialize());
      own.put("registrationId", intBytes(KeyHelper.generateRegistrationId(false)));
      own.put("userId", userId.toString().getBytes(StandardCharsets.UTF_8));
      own.put("server", server.getBytes(StandardCharsets.UTF_8));
      own.put("deviceId", intBytes(0));
      own.put("nextKeyId", intBytes(1));
      folder.writeSealed(key, IDENTITY, Entries.encode(own));
      return new ProtocolStore(folder, key);
    } catch (RuntimeException e) {
      folder.close();
      throw e;
    }
  }

  /**
   * Opens the store in the folder with the password; {@link WrongPasswordException} when the
   * password does not open it.
   */
  public static ProtocolStore open(Path dir, char[] password) {
    SealedFolder folder = SealedFolder.open(dir);
    try {
      return new ProtocolStore(folder, DataKey.unlock(folder, password));
    } catch (RuntimeException e) {
      folder.close();
      throw e;
    }
  }

  /** Locks the store with a new password (the files stay as they are). */
  public synchronized void changePassword(char[] newPassword, StoreSettings settings) {
    open();
    DataKey.wrap(folder, key, newPassword, settings);
  }

  public Path folder() {
    return folder.path();
  }

  /** The user the store belongs to. */
  public synchronized UUID userId() {
    return UUID.fromString(string(files.get(IDENTITY).get("userId")));
  }

  /** The server the store's device is registered with. */
  public synchronized String server() {
    return string(files.get(IDENTITY).get("server"));
  }

  /** The device id the server gave, or 0 before the device is registered. */
  public synchronized int deviceId() {
    return intOf(files.get(IDENTITY), "deviceId", 0);
  }

  public synchronized void deviceId(int deviceId) {
    putOwn("deviceId", intBytes(deviceId));
  }

  /** Reserves count new key ids in a row (for prekeys of any kind) and answers the first. */
  public synchronized int reserveKeyIds(int count) {
    int next = intOf(files.get(IDENTITY), "nextKeyId", 1);
    if ((long) next + count > MAX_KEY_ID) {
      next = 1;
    }
    putOwn("nextKeyId", intBytes(next + count));
    return next;
  }

  /** The id of the signed EC prekey the directory holds, 0 if none yet. */
  public synchronized int currentSignedPreKeyId() {
    return intOf(files.get(IDENTITY), "signedPreKeyId", 0);
  }

  /** The id of the Kyber last-resort prekey the directory holds, 0 if none yet. */
  public synchronized int currentLastResortId() {
    return intOf(files.get(IDENTITY), "lastResortId", 0);
  }

  /**
   * Keeps new signed prekeys as the current ones; the previous ones stay for messages already on
   * their way, and all but the newest {@code keep} of each kind are deleted.
   */
  public synchronized void storeCurrentSignedPreKeys(
      SignedPreKeyRecord signed, KyberPreKeyRecord lastResort, int keep) {
    open();
    TreeMap<String, byte[]> signedFile = files.get(SIGNED_PREKEYS);
    signedFile.put(id(signed.getId()), signed.serialize());
    TreeMap<String, byte[]> kyber = files.get(KYBER_PREKEYS);
    kyber.put(id(lastResort.getId()), kyberEntry(LAST_RESORT, lastResort));
    pruneOldest(signedFile, keep, entry -> true, ProtocolStore::signedTimestamp);
    List<String> removed =
        pruneOldest(kyber, keep, entry -> entry[0] == LAST_RESORT, ProtocolStore::kyberTimestamp);
    for (String gone : removed) {
      kyber.keySet().removeIf(name -> name.startsWith("used:" + gone + ":"));
    }
    TreeMap<String, byte[]> own = files.get(IDENTITY);
    own.put("signedPreKeyId", intBytes(signed.getId()));
    own.put("lastResortId", intBytes(lastResort.getId()));
    persist(SIGNED_PREKEYS);
    persist(KYBER_PREKEYS);
    persist(IDENTITY);
  }

  /**
   * Adds a batch of one-time prekeys (both kinds) in one write per file. Earlier one-time prekeys
   * are kept for messages already on their way (the directory no longer hands them out once a new
   * batch replaced its stock), but not those made before {@code olderThanMillis}, and not more than
   * {@code keepAtMost} of a kind (the oldest go first).
   */
  public synchronized void storeOneTimePreKeys(
      List<PreKeyRecord> ecKeys,
      List<KyberPreKeyRecord> kyberKeys,
      long olderThanMillis,
      int keepAtMost) {
    open();
    long now = System.currentTimeMillis();
    TreeMap<String, byte[]> ec = files.get(PREKEYS);
    for (PreKeyRecord record : ecKeys) {
      byte[] serialized = record.serialize();
      ec.put(
          id(record.getId()),
          ByteBuffer.allocate(8 + serialized.length).putLong(now).put(serialized).array());
    }
    ec.entrySet().removeIf(entry -> ecTimestamp(entry.getValue()) < olderThanMillis);
    pruneOldest(ec, keepAtMost, entry -> true, ProtocolStore::ecTimestamp);
    TreeMap<String, byte[]> kyber = files.get(KYBER_PREKEYS);
    for (KyberPreKeyRecord record : kyberKeys) {
      kyber.put(id(record.getId()), kyberEntry(ONE_TIME, record));
    }
    kyber
        .entrySet()
        .removeIf(
            entry ->
                !entry.getKey().startsWith("used:")
                    && entry.getValue()[0] == ONE_TIME
                    && kyberTimestamp(entry.getValue()) < olderThanMillis);
    pruneOldest(kyber, keepAtMost, entry -> entry[0] == ONE_TIME, ProtocolStore::kyberTimestamp);
    persist(PREKEYS);
    persist(KYBER_PREKEYS);
  }

  /** How many one-time prekeys of each kind the store holds: {EC, Kyber}. */
  public synchronized int[] oneTimePreKeyCounts() {
    int kyber = 0;
    for (Map.Entry<String, byte[]> entry : files.get(KYBER_PREKEYS).entrySet()) {
      if (!entry.getKey().startsWith("used:") && entry.getValue()[0] == ONE_TIME) {
        kyber++;
      }
    }
    return new int[] {files.get(PREKEYS).size(), kyber};
  }

  /**
   * Accepts a partner device's new identity key (after the user compared safety numbers): it
   * becomes the trusted one, and the session built with the old one is dropped.
   */
  public synchronized void trust(SignalProtocolAddress address, IdentityKey identityKey) {
    open();
    files.get(IDENTITIES).put(key(address), identityKey.serialize());
    persist(IDENTITIES);
    if (files.get(SESSIONS).remove(key(address)) != null) {
      persist(SESSIONS);
    }
  }

  // ---- IdentityKeyStore ----

  @Override
  public IdentityKeyPair getIdentityKeyPair() {
    return identity;
  }

  @Override
  public int getLocalRegistrationId() {
    return registrationId;
  }

  @Override
  public synchronized IdentityChange saveIdentity(
      SignalProtocolAddress address, IdentityKey identityKey) {
    open();
    byte[] known = files.get(IDENTITIES).get(key(address));
    byte[] current = identityKey.serialize();
    if (known != null && java.util.Arrays.equals(known, current)) {
      return IdentityChange.NEW_OR_UNCHANGED;
    }
    files.get(IDENTITIES).put(key(address), current);
    persist(IDENTITIES);
    return known == null ? IdentityChange.NEW_OR_UNCHANGED : IdentityChange.REPLACED_EXISTING;
  }

  @Override
  public synchronized boolean isTrustedIdentity(
      SignalProtocolAddress address, IdentityKey identityKey, Direction direction) {
    byte[] known = files.get(IDENTITIES).get(key(address));
    return known == null || java.util.Arrays.equals(known, identityKey.serialize());
  }

  @Override
  public synchronized IdentityKey getIdentity(SignalProtocolAddress address) {
    byte[] known = files.get(IDENTITIES).get(key(address));
    try {
      return known == null ? null : new IdentityKey(known);
    } catch (InvalidKeyException e) {
      throw new LocalStoreException("A partner's identity key in the store is damaged", e);
    }
  }

  // ---- PreKeyStore ----

  @Override
  public synchronized PreKeyRecord loadPreKey(int preKeyId) throws InvalidKeyIdException {
    byte[] entry = files.get(PREKEYS).get(id(preKeyId));
    if (entry == null) {
      throw new InvalidKeyIdException("No such prekey: " + preKeyId);
    }
    try {
      return new PreKeyRecord(java.util.Arrays.copyOfRange(entry, 8, entry.length));
    } catch (InvalidMessageException e) {
      throw new LocalStoreException("A prekey in the store is damaged", e);
    }
  }

  @Override
  public synchronized void storePreKey(int preKeyId, PreKeyRecord record) {
    storeOneTimePreKeys(List.of(record), List.of(), 0, Integer.MAX_VALUE);
  }

  @Override
  public synchronized boolean containsPreKey(int preKeyId) {
    return files.get(PREKEYS).containsKey(id(preKeyId));
  }

  @Override
  public synchronized void removePreKey(int preKeyId) {
    open();
    if (files.get(PREKEYS).remove(id(preKeyId)) != null) {
      persist(PREKEYS);
    }
  }

  // ---- SignedPreKeyStore ----

  @Override
  public synchronized SignedPreKeyRecord loadSignedPreKey(int signedPreKeyId)
      throws InvalidKeyIdException {
    byte[] entry = files.get(SIGNED_PREKEYS).get(id(signedPreKeyId));
    if (entry == null) {
      throw new InvalidKeyIdException("No such signed prekey: " + signedPreKeyId);
    }
    return signed(entry);
  }

  @Override
  public synchronized List<SignedPreKeyRecord> loadSignedPreKeys() {
    List<SignedPreKeyRecord> records = new ArrayList<>();
    for (byte[] entry : files.get(SIGNED_PREKEYS).values()) {
      records.add(signed(entry));
    }
    return records;
  }

  @Override
  public synchronized void storeSignedPreKey(int signedPreKeyId, SignedPreKeyRecord record) {
    open();
    files.get(SIGNED_PREKEYS).put(id(signedPreKeyId), record.serialize());
    persist(SIGNED_PREKEYS);
  }

  @Override
  public synchronized boolean containsSignedPreKey(int signedPreKeyId) {
    return files.get(SIGNED_PREKEYS).containsKey(id(signedPreKeyId));
  }

  @Override
  public synchronized void removeSignedPreKey(int signedPreKeyId) {
    open();
    if (files.get(SIGNED_PREKEYS).remove(id(signedPreKeyId)) != null) {
      persist(SIGNED_PREKEYS);
    }
  }

  // ---- KyberPreKeyStore ----

  @Override
  public synchronized KyberPreKeyRecord loadKyberPreKey(int kyberPreKeyId)
      throws InvalidKeyIdException {
    byte[] entry = files.get(KYBER_PREKEYS).get(id(kyberPreKeyId));
    if (entry == null) {
      throw new InvalidKeyIdException("No such Kyber prekey: " + kyberPreKeyId);
    }
    return kyber(entry);
  }

  @Override
  public synchronized List<KyberPreKeyRecord> loadKyberPreKeys() {
    List<KyberPreKeyRecord> records = new ArrayList<>();
    for (Map.Entry<String, byte[]> entry : files.get(KYBER_PREKEYS).entrySet()) {
      if (!entry.getKey().startsWith("used:")) {
        records.add(kyber(entry.getValue()));
      }
    }
    return records;
  }

  @Override
  public synchronized void storeKyberPreKey(int kyberPreKeyId, KyberPreKeyRecord record) {
    storeOneTimePreKeys(List.of(), List.of(record), 0, Integer.MAX_VALUE);
  }

  @Override
  public synchronized boolean containsKyberPreKey(int kyberPreKeyId) {
    return files.get(KYBER_PREKEYS).containsKey(id(kyberPreKeyId));
  }

  /**
   * A one-time Kyber prekey is deleted once used; a last-resort one stays, and the same base key
   * with it again is refused as a replay.
   */
  @Override
  public synchronized void markKyberPreKeyUsed(
      int kyberPreKeyId, int signedPreKeyId, ECPublicKey baseKey) throws ReusedBaseKeyException {
    open();
    TreeMap<String, byte[]> kyber = files.get(KYBER_PREKEYS);
    byte[] entry = kyber.get(id(kyberPreKeyId));
    if (entry == null) {
      return;
    }
    if (entry[0] == ONE_TIME) {
      kyber.remove(id(kyberPreKeyId));
    } else {
      String used =
          "used:"
              + id(kyberPreKeyId)
              + ":"
              + signedPreKeyId
              + ":"
              + Base64.getEncoder().encodeToString(baseKey.serialize());
      if (kyber.containsKey(used)) {
        throw new ReusedBaseKeyException();
      }
      kyber.put(used, new byte[0]);
    }
    persist(KYBER_PREKEYS);
  }

  // ---- SessionStore ----

  @Override
  public synchronized SessionRecord loadSession(SignalProtocolAddress address) {
    byte[] record = files.get(SESSIONS).get(key(address));
    return record == null ? new SessionRecord() : session(record);
  }

  @Override
  public synchronized List<SessionRecord> loadExistingSessions(
      List<SignalProtocolAddress> addresses) throws NoSessionException {
    List<SessionRecord> records = new ArrayList<>();
    for (SignalProtocolAddress address : addresses) {
      byte[] record = files.get(SESSIONS).get(key(address));
      if (record == null) {
        throw new NoSessionException(address, "No session for " + address);
      }
      records.add(session(record));
    }
    return records;
  }

  /** Every device id of the name (a user id) with a session. */
  public synchronized List<Integer> sessionDevices(String name) {
    List<Integer> devices = new ArrayList<>();
    for (String address : files.get(SESSIONS).keySet()) {
      int dot = address.lastIndexOf('.');
      if (address.substring(0, dot).equals(name)) {
        devices.add(Integer.parseInt(address.substring(dot + 1)));
      }
    }
    return devices;
  }

  /** The device ids with a session for the name, not counting device 1 (libsignal's contract). */
  @Override
  public synchronized List<Integer> getSubDeviceSessions(String name) {
    List<Integer> devices = sessionDevices(name);
    devices.remove(Integer.valueOf(1));
    return devices;
  }

  @Override
  public synchronized void storeSession(SignalProtocolAddress address, SessionRecord record) {
    open();
    files.get(SESSIONS).put(key(address), record.serialize());
    persist(SESSIONS);
  }

  @Override
  public synchronized boolean containsSession(SignalProtocolAddress address) {
    byte[] record = files.get(SESSIONS).get(key(address));
    if (record == null) {
      return false;
    }
    // a session that can send; its version is 4 with PQXDH (CiphertextMessage.CURRENT_VERSION
    // still says 3)
    return session(record).hasSenderChain();
  }

  @Override
  public synchronized void deleteSession(SignalProtocolAddress address) {
    open();
    if (files.get(SESSIONS).remove(key(address)) != null) {
      persist(SESSIONS);
    }
  }

  @Override
  public synchronized void deleteAllSessions(String name) {
    open();
    if (files.get(SESSIONS).keySet().removeIf(address -> address.startsWith(name + "."))) {
      persist(SESSIONS);
    }
  }

  // ---- SenderKeyStore ----

  @Override
  public synchronized void storeSenderKey(
      SignalProtocolAddress sender, UUID distributionId, SenderKeyRecord record) {
    open();
    files.get(SENDER_KEYS).put(key(sender) + "/" + distributionId, record.serialize());
    persist(SENDER_KEYS);
  }

  @Override
  public synchronized SenderKeyRecord loadSenderKey(
      SignalProtocolAddress sender, UUID distributionId) {
    byte[] record = files.get(SENDER_KEYS).get(key(sender) + "/" + distributionId);
    try {
      return record == null ? null : new SenderKeyRecord(record);
    } catch (InvalidMessageException e) {
      throw new LocalStoreException("A sender key in the store is damaged", e);
    }
  }

  /** What a recovery backup carries of this store: the identity and the pinned partner keys. */
  synchronized TreeMap<String, byte[]> backupIdentity() {
    open();
    TreeMap<String, byte[]> own = new TreeMap<>();
    for (String name :
        List.of("identityKeyPair", "registrationId", "userId", "server", "deviceId")) {
      own.put(name, files.get(IDENTITY).get(name));
    }
    return own;
  }

  synchronized TreeMap<String, byte[]> pinnedIdentities() {
    open();
    return new TreeMap<>(files.get(IDENTITIES));
  }

  /**
   * Takes in what a backup restores: the previous identity is kept beside this device's own (a new
   * device keeps its new identity key, see docs/client.md), and partner keys pinned there are
   * pinned here unless this store pinned another key for the device already.
   */
  synchronized void restoreFrom(Map<String, byte[]> previous, Map<String, byte[]> pinned) {
    open();
    TreeMap<String, byte[]> own = files.get(IDENTITY);
    own.put("restoredIdentityKeyPair", previous.get("identityKeyPair"));
    own.put("restoredRegistrationId", previous.get("registrationId"));
    own.put("restoredDeviceId", previous.get("deviceId"));
    persist(IDENTITY);
    TreeMap<String, byte[]> identities = files.get(IDENTITIES);
    boolean changed = false;
    for (Map.Entry<String, byte[]> entry : pinned.entrySet()) {
      changed |= identities.putIfAbsent(entry.getKey(), entry.getValue()) == null;
    }
    if (changed) {
      persist(IDENTITIES);
    }
  }

  /**
   * The identity key pair restored from a recovery backup (the device the backup was made on), or
   * null when nothing was restored.
   */
  public synchronized IdentityKeyPair restoredIdentity() {
    byte[] restored = files.get(IDENTITY).get("restoredIdentityKeyPair");
    try {
      return restored == null ? null : new IdentityKeyPair(restored);
    } catch (InvalidKeyException e) {
      throw new LocalStoreException("The restored identity in the key store is damaged", e);
    }
  }

  /** The device id of the device the restored backup was made on, 0 when none was restored. */
  public synchronized int restoredDeviceId() {
    return intOf(files.get(IDENTITY), "restoredDeviceId", 0);
  }

  /** The decrypted history of encrypted rooms, in the same folder under the same data key. */
  public synchronized MessageStore messages() {
    open();
    if (messages == null) {
      messages = new MessageStore(folder, this::sealingKey);
    }
    return messages;
  }

  synchronized SecretKey sealingKey() {
    open();
    return key;
  }

  /** Releases the folder's lock; the store cannot be used afterwards. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      key = null;
      folder.close();
    }
  }

  // ---- files ----

  private void open() {
    if (closed) {
      throw new LocalStoreException("The key store is closed");
    }
  }

  private void putOwn(String name, byte[] value) {
    open();
    files.get(IDENTITY).put(name, value);
    persist(IDENTITY);
  }

  private void persist(String file) {
    folder.writeSealed(key, file, Entries.encode(files.get(file)));
  }

  private static List<String> pruneOldest(
      TreeMap<String, byte[]> file,
      int keep,
      java.util.function.Predicate<byte[]> counts,
      java.util.function.ToLongFunction<byte[]> timestamp) {
    List<Map.Entry<String, byte[]>> candidates = new ArrayList<>();
    for (Map.Entry<String, byte[]> entry : file.entrySet()) {
      if (!entry.getKey().startsWith("used:") && counts.test(entry.getValue())) {
        candidates.add(entry);
      }
    }
    candidates.sort(
        java.util.Comparator.comparingLong(
            (Map.Entry<String, byte[]> entry) -> timestamp.applyAsLong(entry.getValue())));
    List<String> removed = new ArrayList<>();
    for (int i = 0; i < candidates.size() - keep; i++) {
      removed.add(candidates.get(i).getKey());
    }
    removed.forEach(file::remove);
    return removed;
  }

  private static long ecTimestamp(byte[] entry) {
    return ByteBuffer.wrap(entry).getLong();
  }

  private static long signedTimestamp(byte[] entry) {
    return signed(entry).getTimestamp();
  }

  private static long kyberTimestamp(byte[] entry) {
    return kyber(entry).getTimestamp();
  }

  private static byte[] kyberEntry(byte kind, KyberPreKeyRecord record) {
    byte[] serialized = record.serialize();
    return ByteBuffer.allocate(1 + serialized.length).put(kind).put(serialized).array();
  }

  private static KyberPreKeyRecord kyber(byte[] entry) {
    try {
      return new KyberPreKeyRecord(java.util.Arrays.copyOfRange(entry, 1, entry.length));
    } catch (InvalidMessageException e) {
      throw new LocalStoreException("A Kyber prekey in the store is damaged", e);
    }
  }

  private static SignedPreKeyRecord signed(byte[] entry) {
    try {
      return new SignedPreKeyRecord(entry);
    } catch (InvalidMessageException e) {
      throw new LocalStoreException("A signed prekey in the store is damaged", e);
    }
  }

  private static SessionRecord session(byte[] record) {
    try {
      return new SessionRecord(record);
    } catch (InvalidMessageException e) {
      throw new LocalStoreException("A session in the store is damaged", e);
    }
  }

  private static String key(SignalProtocolAddress address) {
    return address.getName() + "." + address.getDeviceId();
  }

  private static String id(int keyId) {
    return Integer.toString(keyId);
  }

  private static byte[] intBytes(int value) {
    return ByteBuffer.allocate(4).putInt(value).array();
  }

  private static int intOf(Map<String, byte[]> file, String name, int fallback) {
    byte[] value = file.get(name);
    return value == null ? fallback : ByteBuffer.wrap(value).getInt();
  }

  private static String string(byte[] value) {
    return new String(value, StandardCharsets.UTF_8);
  }
}
