package org.konsil.server.records;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;
import java.util.function.Function;

/**
 * The SHA-1 of stored files, which FHIR R4 asks for in {@code Attachment.hash} (Konsil itself keeps
 * SHA-256): read from the file store, in blocks. Blocking.
 */
final class FileDigests {

  private final Function<UUID, Path> paths;

  FileDigests(Function<UUID, Path> paths) {
    this.paths = paths;
  }

  /** The file's SHA-1, or null when its bytes are no longer in the file store. */
  byte[] sha1(UUID fileId) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JRE", e);
    }
    byte[] block = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(paths.apply(fileId))) {
      int read;
      while ((read = in.read(block)) > 0) {
        digest.update(block, 0, read);
      }
      return digest.digest();
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("could not read stored file " + fileId, e);
    }
  }
}
