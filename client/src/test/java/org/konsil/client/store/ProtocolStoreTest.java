package org.konsil.client.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.state.IdentityKeyStore;
import org.signal.libsignal.protocol.state.PreKeyRecord;

/**
 * The local protocol store on disk: sealed files of the owner only, a password that opens it and
 * one that does not, a restart that keeps everything, and refusals of altered files, of a folder
 * open to others and of a second client on the same folder.
 */
class ProtocolStoreTest {

  private static final StoreSettings CHEAP = new StoreSettings(1024, 1, 1);
  private static final char[] PASSWORD = "a long test password".toCharArray();
  private static final UUID USER = UUID.randomUUID();
  private static final String SERVER = "https://konsil.example.org";

  @TempDir Path temp;

  @Test
  void aReopenedStoreHasTheSameIdentityKeysAndTrust() throws Exception {
    Path folder = temp.resolve("keys");
    SignalProtocolAddress partner = new SignalProtocolAddress(UUID.randomUUID().toString(), 2);
    IdentityKey partnerKey = IdentityKeyPair.generate().getPublicKey();
    byte[] identity;
    int registrationId;
    try (ProtocolStore store = ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER)) {
      identity = store.getIdentityKeyPair().serialize();
      registrationId = store.getLocalRegistrationId();
      store.deviceId(3);
      store.storePreKey(7, new PreKeyRecord(7, ECKeyPair.generate()));
      store.saveIdentity(partner, partnerKey);
    }
    try (ProtocolStore store = ProtocolStore.open(folder, PASSWORD)) {
      assertArrayEquals(identity, store.getIdentityKeyPair().serialize());
      assertEquals(registrationId, store.getLocalRegistrationId());
      assertEquals(3, store.deviceId());
      assertEquals(USER, store.userId());
      assertEquals(SERVER, store.server());
      assertTrue(store.containsPreKey(7));
      assertEquals(partnerKey, store.getIdentity(partner));
    }
  }

  @Test
  void theMessageHistoryIsSealedOwnerOnlyRefusedWhenAlteredAndWipedPerRoom() throws Exception {
    Path folder = temp.resolve("keys");
    UUID room = UUID.randomUUID();
    UUID otherRoom = UUID.randomUUID();
    String secret = "Dekubitus Grad 2 am Steiss";
    try (ProtocolStore store = ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER)) {
      store.messages().put(room, 2, new io.vertx.core.json.JsonObject().put("text", "zweite"));
      store.messages().put(room, 1, new io.vertx.core.json.JsonObject().put("text", secret));
      store.messages().put(otherRoom, 1, new io.vertx.core.json.JsonObject().put("text", "bleibt"));
    }
    Path history = folder.resolve("history-" + room);
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(history)));
    assertFalse(
        new String(Files.readAllBytes(history), StandardCharsets.ISO_8859_1).contains("Dekubitus"));
    try (ProtocolStore store = ProtocolStore.open(folder, PASSWORD)) {
      assertEquals(
          List.of(secret, "zweite"),
          store.messages().history(room).stream().map(m -> m.getString("text")).toList());
      assertEquals(
          java.util.Set.of(room, otherRoom), java.util.Set.copyOf(store.messages().rooms()));
      assertEquals(2, store.messages().wipe(room));
      assertFalse(Files.exists(history));
      assertEquals(List.of(), store.messages().history(room));
      assertEquals(1, store.messages().history(otherRoom).size());
    }
    // an altered history file is refused, not read
    Path other = folder.resolve("history-" + otherRoom);
    byte[] bytes = Files.readAllBytes(other);
    bytes[bytes.length - 5] ^= 1;
    Files.write(other, bytes);
    try (ProtocolStore store = ProtocolStore.open(folder, PASSWORD)) {
      assertThrows(LocalStoreException.class, () -> store.messages().history(otherRoom));
    }
  }

  @Test
  void aWrongPasswordIsRefusedAndChangesNothing() throws Exception {
    Path folder = temp.resolve("keys");
    ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER).close();
    List<byte[]> before = contents(folder);

    WrongPasswordException refused =
        assertThrows(
            WrongPasswordException.class,
            () -> ProtocolStore.open(folder, "not the password".toCharArray()));
    assertTrue(refused.getMessage().contains("password does not open"), refused.getMessage());

    List<byte[]> after = contents(folder);
    assertEquals(before.size(), after.size());
    for (int i = 0; i < before.size(); i++) {
      assertArrayEquals(before.get(i), after.get(i));
    }
    // the refused attempt left the lock free
    ProtocolStore.open(folder, PASSWORD).close();
  }

  @Test
  void filesAreTheOwnersOnlyAndHoldNoKeyInTheClear() throws Exception {
    Path folder = temp.resolve("keys");
    byte[] privateKey;
    try (ProtocolStore store = ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER)) {
      store.storePreKey(1, new PreKeyRecord(1, ECKeyPair.generate()));
      privateKey = store.getIdentityKeyPair().getPrivateKey().serialize();
    }
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.toList()) {
        assertEquals(
            "rw-------",
            PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
            file.toString());
        assertFalse(
            contains(Files.readAllBytes(file), privateKey), file + " holds the private key");
      }
    }
    assertTrue(Files.exists(folder.resolve("identity")));
    assertTrue(Files.exists(folder.resolve("key.json")));
  }

  @Test
  void aNewPasswordOpensTheStoreAndTheOldOneNoLonger() throws Exception {
    Path folder = temp.resolve("keys");
    byte[] identity;
    try (ProtocolStore store = ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER)) {
      identity = store.getIdentityKeyPair().serialize();
      store.changePassword("the new password".toCharArray(), CHEAP);
    }
    assertThrows(WrongPasswordException.class, () -> ProtocolStore.open(folder, PASSWORD));
    try (ProtocolStore store = ProtocolStore.open(folder, "the new password".toCharArray())) {
      assertArrayEquals(identity, store.getIdentityKeyPair().serialize());
    }
  }

  @Test
  void anAlteredFileIsRefused() throws Exception {
    Path folder = temp.resolve("keys");
    ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER).close();
    Path identity = folder.resolve("identity");
    byte[] bytes = Files.readAllBytes(identity);
    bytes[bytes.length - 5] ^= 1;
    Files.write(identity, bytes);

    LocalStoreException refused =
        assertThrows(LocalStoreException.class, () -> ProtocolStore.open(folder, PASSWORD));
    assertFalse(refused instanceof WrongPasswordException);
    assertTrue(refused.getMessage().contains("was altered"), refused.getMessage());
  }

  @Test
  void aFileOfAnotherKindCannotBePassedOffAsTheIdentity() throws Exception {
    Path folder = temp.resolve("keys");
    try (ProtocolStore store = ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER)) {
      store.storePreKey(1, new PreKeyRecord(1, ECKeyPair.generate()));
    }
    Files.copy(
        folder.resolve("prekeys"),
        folder.resolve("identity"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThrows(LocalStoreException.class, () -> ProtocolStore.open(folder, PASSWORD));
  }

  @Test
  void aFolderOpenToOthersIsRefused() throws Exception {
    Path folder = temp.resolve("keys");
    ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER).close();
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-x---"));
    LocalStoreException refused =
        assertThrows(LocalStoreException.class, () -> ProtocolStore.open(folder, PASSWORD));
    assertTrue(refused.getMessage().contains("open to other users"), refused.getMessage());
  }

  @Test
  void aSecondClientOnTheSameFolderIsRefused() throws Exception {
    Path folder = temp.resolve("keys");
    ProtocolStore first = ProtocolStore.create(folder, PASSWORD, CHEAP, USER, SERVER);
    LocalStoreException refused =
        assertThrows(LocalStoreException.class, () -> ProtocolStore.open(folder, PASSWORD));
    assertTrue(refused.getMessage().contains("open in another client"), refused.getMessage());
    first.close();
    ProtocolStore.open(folder, PASSWORD).close();
  }

  @Test
  void aChangedIdentityIsNotTrustedUntilAccepted() throws Exception {
    SignalProtocolAddress partner = new SignalProtocolAddress(UUID.randomUUID().toString(), 1);
    IdentityKey first = IdentityKeyPair.generate().getPublicKey();
    IdentityKey second = IdentityKeyPair.generate().getPublicKey();
    try (ProtocolStore store =
        ProtocolStore.create(temp.resolve("keys"), PASSWORD, CHEAP, USER, SERVER)) {
      assertTrue(
          store.isTrustedIdentity(partner, first, IdentityKeyStore.Direction.SENDING), "first use");
      store.saveIdentity(partner, first);
      for (IdentityKeyStore.Direction direction : IdentityKeyStore.Direction.values()) {
        assertTrue(store.isTrustedIdentity(partner, first, direction));
        assertFalse(store.isTrustedIdentity(partner, second, direction), direction.name());
      }
      store.trust(partner, second);
      assertTrue(store.isTrustedIdentity(partner, second, IdentityKeyStore.Direction.RECEIVING));
      assertNotEquals(first, store.getIdentity(partner));
    }
  }

  @Test
  void aWeakOrAbsurdCostIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new StoreSettings(512, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new StoreSettings(1 << 30, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new StoreSettings(1024, 0, 1));
  }

  private static List<byte[]> contents(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder).sorted()) {
      return files
          .filter(file -> !file.getFileName().toString().equals("store.lock"))
          .map(
              file -> {
                try {
                  return Files.readAllBytes(file);
                } catch (java.io.IOException e) {
                  throw new IllegalStateException(e);
                }
              })
          .toList();
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    String text = new String(haystack, StandardCharsets.ISO_8859_1);
    return text.contains(new String(needle, StandardCharsets.ISO_8859_1));
  }
}
