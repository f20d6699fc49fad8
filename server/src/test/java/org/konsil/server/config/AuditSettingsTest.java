package org.konsil.server.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.konsil.server.testkit.Scratch;

/** The audit key and anchor settings, and secrets made once into owner-only files. */
class AuditSettingsTest {

  @Test
  void auditKeyAndAnchorsDefaultToTheDataFolder() {
    KonsilConfig config = KonsilConfig.from(Map.of("KONSIL_DATA_DIR", "/srv/konsil"));
    assertTrue(config.auditKey().isEmpty());
    assertEquals(Path.of("/srv/konsil/audit-key"), config.auditKeyFile());
    assertEquals(Path.of("/srv/konsil/audit-anchors"), config.auditAnchorFile());
    assertEquals(Duration.ofSeconds(60), config.auditAnchorInterval());
  }

  @Test
  void auditSettingsAreReadAndWrongValuesNamed() {
    KonsilConfig config =
        KonsilConfig.from(
            Map.of(
                "KONSIL_AUDIT_KEY", "a2V5",
                "KONSIL_AUDIT_ANCHOR_FILE", "/mnt/worm/konsil-anchors",
                "KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", "15"));
    assertEquals(Optional.of("a2V5"), config.auditKey());
    assertEquals(Path.of("/mnt/worm/konsil-anchors"), config.auditAnchorFile());
    assertEquals(Duration.ofSeconds(15), config.auditAnchorInterval());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KonsilConfig.from(Map.of("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", "0")));
    assertTrue(e.getMessage().contains("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS"), e.getMessage());
  }

  @Test
  void aSecretIsMadeOnceOwnerOnlyWhenNotConfigured() throws Exception {
    Path file = Scratch.folder("konsil-secret").resolve("data").resolve("audit-key");
    byte[] made = SecretFiles.load(Optional.empty(), "KONSIL_AUDIT_KEY", file);
    assertEquals(32, made.length);
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    assertArrayEquals(made, SecretFiles.load(Optional.empty(), "KONSIL_AUDIT_KEY", file));

    byte[] configured = new byte[48];
    configured[0] = 7;
    assertArrayEquals(
        configured,
        SecretFiles.load(
            Optional.of(Base64.getEncoder().encodeToString(configured)), "KONSIL_AUDIT_KEY", file));
  }

  @Test
  void aKeyFileIsWrittenInOneStepAndAnEmptyOneIsNamedNotReplaced() throws Exception {
    Path folder = Scratch.folder("konsil-secret");
    Path file = folder.resolve("audit-key");
    byte[] made = SecretFiles.create(file);
    assertEquals(32, Base64.getDecoder().decode(Files.readString(file).trim()).length);
    assertArrayEquals(made, Base64.getDecoder().decode(Files.readString(file).trim()));
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    try (var files = Files.list(folder)) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left beside the key");
    }
    assertArrayEquals(made, SecretFiles.create(file), "a key made a moment before is kept");

    // what a crash between making the file and writing it left behind with the old code
    Files.writeString(file, "");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SecretFiles.load(Optional.empty(), "KONSIL_AUDIT_KEY", file));
    assertTrue(e.getMessage().contains(file + " is empty"), e.getMessage());
    assertTrue(e.getMessage().contains("KONSIL_AUDIT_KEY"), e.getMessage());
    assertEquals("", Files.readString(file), "an empty key file is not silently replaced");
  }

  @Test
  void aShortOrMalformedSecretIsRefusedWithTheVariablesName() throws Exception {
    Path file = Scratch.folder("konsil-secret").resolve("audit-key");
    for (String value : new String[] {Base64.getEncoder().encodeToString(new byte[16]), "%%%"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> SecretFiles.load(Optional.of(value), "KONSIL_AUDIT_KEY", file));
      assertTrue(e.getMessage().startsWith("KONSIL_AUDIT_KEY must hold"), e.getMessage());
    }
    assertTrue(Files.notExists(file), "nothing made when a value is configured");
  }
}
