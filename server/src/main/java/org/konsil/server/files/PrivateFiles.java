package org.konsil.server.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates the folders (0700) and files (0600) Konsil keeps on disk, readable by the server's own
 * user only. The permissions are given at creation: a JVM cannot set its process umask, so relying
 * on it would leave whatever the start script's umask allows (often 0644 and 0755).
 */
public final class PrivateFiles {

  static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private PrivateFiles() {}

  /**
   * Creates the folder and any missing parents as 0700. A folder of Konsil's that exists with wider
   * permissions (made by an earlier version) is narrowed to 0700; the files in it are then out of
   * other users' reach too.
   */
  public static Path folder(Path folder) throws IOException {
    if (!posix(folder)) {
      return Files.createDirectories(folder);
    }
    if (Files.isDirectory(folder)) {
      if (!Files.getPosixFilePermissions(folder).equals(FOLDER)) {
        Files.setPosixFilePermissions(folder, FOLDER);
      }
      return folder;
    }
    return Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(FOLDER));
  }

  /** Creates a new, empty file as 0600; fails when it exists already. */
  public static Path createFile(Path file) throws IOException {
    return Files.createFile(file, attributes(file));
  }

  /** Writes a new file as 0600, replacing one that exists (and giving it 0600). */
  public static void write(Path file, byte[] bytes) throws IOException {
    Files.deleteIfExists(file);
    createFile(file);
    Files.write(file, bytes, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  public static void writeString(Path file, String text) throws IOException {
    write(file, text.getBytes(StandardCharsets.UTF_8));
  }

  private static FileAttribute<?>[] attributes(Path file) {
    return posix(file)
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
        : new FileAttribute<?>[0];
  }

  /** Whether the path's file system has POSIX permissions (not so on Windows). */
  public static boolean posix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
