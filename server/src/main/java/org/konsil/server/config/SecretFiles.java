package org.konsil.server.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
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
    return read(configured, variable, file).orElseGet(() -> create(file));
  }

  /**
   * The configured secret if there is one, otherwise the one in the file if the file exists; never
   * makes one. An empty or unreadable file is an error, not a missing one: a key file is never
   * written empty, so it was damaged and must be put back rather than made again. Blocking.
   */
  public static Optional<byte[]> read(Optional<String> configured, String variable, Path file) {
    if (configured.isPresent()) {
      return Optional.of(decode(configured.get(), variable));
    }
    try {
      if (!Files.exists(file)) {
        return Optional.empty();
      }
      String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (text.isEmpty()) {
        throw new IllegalArgumentException(
            file
                + " is empty: put back the key from the backup of the data folder, or set "
                + variable);
      }
      return Optional.of(decode(text, file.toString()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * Makes the file with 256 random bits and answers them. The key is written and synced in a
   * private temporary file beside it and then linked into place in one step, so a crash never
   * leaves an empty or half-written key file; if another process of this node made the file a
   * moment before, its key is answered. Blocking.
   */
  public static byte[] create(Path file) {
    byte[] secret = new byte[MIN_BYTES];
    RANDOM.nextBytes(secret);
    Path folder = file.toAbsolutePath().getParent();
    Path partial = null;
    try {
      Files.createDirectories(folder);
      partial = temporaryOwnerOnly(folder, file.getFileName().toString());
      Files.writeString(
          partial,
          Base64.getEncoder().encodeToString(secret),
          StandardCharsets.US_ASCII,
          StandardOpenOption.WRITE,
          StandardOpenOption.SYNC);
      try {
        // a link fails if the file exists, where a move would replace another process's key
        Files.createLink(file, partial);
      } catch (FileAlreadyExistsException e) {
        return read(Optional.empty(), file.toString(), file).orElseThrow();
      } catch (UnsupportedOperationException e) {
        // no hard links on this file system: a move without REPLACE_EXISTING still refuses to
        // replace a key that another process put there first
        try {
          Files.move(partial, file);
        } catch (FileAlreadyExistsException taken) {
          return read(Optional.empty(), file.toString(), file).orElseThrow();
        }
      }
      syncFolder(folder);
      return secret;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    } finally {
      if (partial != null) {
        try {
          Files.deleteIfExists(partial);
        } catch (IOException e) {
          // the key is in place; a leftover private temporary file holds nothing else
        }
      }
    }
  }

  private static Path temporaryOwnerOnly(Path folder, String name) throws IOException {
    try {
      return Files.createTempFile(
          folder,
          "." + name + "-",
          ".partial",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system; the folder's own permissions protect it
      return Files.createTempFile(folder, "." + name + "-", ".partial");
    }
  }

  /** Makes the new name durable too; not every file system can open a folder for that. */
  private static void syncFolder(Path folder) {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // the key file itself is synced; only its name may need the next sync of the file system
    }
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
