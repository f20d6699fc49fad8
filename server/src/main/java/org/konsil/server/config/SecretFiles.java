package org.konsil.server.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * A secret key from its variable (Base64), or else from a file in the data folder that is made once
 * with 256 random bits and is readable by its owner only.
 */
public final class SecretFiles {

  private static final int MIN_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretFiles() {}

  /**
   * The configured secret if there is one, otherwise the one in the file, made first if missing.
   * Blocking; call it while the node is wired, not on an event loop.
   */
  public static byte[] load(Optional<String> configured, String variable, Path file) {
    if (configured.isPresent()) {
      return decode(configured.get(), variable);
    }
    try {
      if (!Files.exists(file)) {
        create(file);
      }
      return decode(Files.readString(file, StandardCharsets.US_ASCII).trim(), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    }
  }

  private static void create(Path file) throws IOException {
    byte[] secret = new byte[MIN_BYTES];
    RANDOM.nextBytes(secret);
    if (!createOwnerOnly(file)) {
      // another process of this node (a command beside the server) made it a moment ago
      return;
    }
    Files.writeString(
        file,
        Base64.getEncoder().encodeToString(secret),
        StandardCharsets.US_ASCII,
        StandardOpenOption.WRITE,
        StandardOpenOption.SYNC);
  }

  /**
   * Creates an empty file (and its folders) that only its owner may read and write, from the first
   * byte on rather than made private after it was written; answers false if it existed already.
   */
  public static boolean createOwnerOnly(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try {
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system; the folder's own permissions protect it
        Files.createFile(file);
      }
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  private static byte[] decode(String base64, String source) {
    byte[] secret;
    try {
      secret = Base64.getDecoder().decode(base64.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + " must hold Base64", e);
    }
    if (secret.length < MIN_BYTES) {
      throw new IllegalArgumentException(
          source + " must hold at least " + MIN_BYTES + " bytes (Base64)");
    }
    return secret;
  }
}
