package org.konsil.client.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;

/**
 * The store's folder: only its owner may enter it (0700) and read its files (0600); a file is
 * replaced as a whole (written beside it, flushed to disk, renamed over it); one process at a time
 * holds the folder's lock.
 */
final class SealedFolder implements AutoCloseable {

  static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final String LOCK = "store.lock";

  private final Path dir;
  private final boolean posix;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private SealedFolder(Path dir, boolean posix, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.posix = posix;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Opens the folder, creating it owner-only if it is missing, and takes its lock. */
  static SealedFolder open(Path dir) {
    Path folder = dir.toAbsolutePath();
    boolean posix = folder.getFileSystem().supportedFileAttributeViews().contains("posix");
    try {
      if (Files.notExists(folder)) {
        if (posix) {
          Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(FOLDER));
          Files.setPosixFilePermissions(folder, FOLDER);
        } else {
          Files.createDirectories(folder);
        }
      }
      if (!Files.isDirectory(folder)) {
        throw new LocalStoreException(folder + " is not a folder");
      }
      if (posix) {
        Set<PosixFilePermission> rights = Files.getPosixFilePermissions(folder);
        if (!FOLDER.containsAll(rights)) {
          throw new LocalStoreException(
              "The key store folder "
                  + folder
                  + " is open to other users ("
                  + PosixFilePermissions.toString(rights)
                  + "); only its owner may have rights on it (chmod 700)");
        }
      }
      FileChannel channel =
          FileChannel.open(
              folder.resolve(LOCK),
              Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
              fileAttributes(posix));
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        throw new LocalStoreException("The key store " + folder + " is open in another client");
      }
      return new SealedFolder(folder, posix, channel, lock);
    } catch (IOException e) {
      throw new LocalStoreException("Cannot open the key store folder " + folder, e);
    }
  }

  Path path() {
    return dir;
  }

  boolean exists(String name) {
    return Files.isRegularFile(dir.resolve(name));
  }

  /** The file's bytes, or null when it does not exist. */
  byte[] read(String name) {
    try {
      return Files.readAllBytes(dir.resolve(name));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new LocalStoreException("Cannot read " + dir.resolve(name), e);
    }
  }

  /** Replaces the file with these bytes, durably: a crash leaves the old file or the new one. */
  void write(String name, byte[] bytes) {
    Path target = dir.resolve(name);
    Path temporary = dir.resolve(name + ".new");
    try {
      Files.deleteIfExists(temporary);
      try (FileChannel channel =
          FileChannel.open(
              temporary,
              EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              fileAttributes(posix))) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      if (posix) {
        Files.setPosixFilePermissions(temporary, FILE);
      }
      Files.move(
          temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncFolder();
    } catch (IOException e) {
      throw new LocalStoreException("Cannot write " + target, e);
    }
  }

  /** Deletes the file (and a half-written successor); answers whether it existed. */
  boolean delete(String name) {
    try {
      Files.deleteIfExists(dir.resolve(name + ".new"));
      boolean existed = Files.deleteIfExists(dir.resolve(name));
      syncFolder();
      return existed;
    } catch (IOException e) {
      throw new LocalStoreException("Cannot delete " + dir.resolve(name), e);
    }
  }

  /** The names of the folder's files that start with the prefix. */
  java.util.List<String> names(String prefix) {
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> name.startsWith(prefix) && !name.endsWith(".new"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new LocalStoreException("Cannot list " + dir, e);
    }
  }

  /** The plain content of a sealed file, or null when it does not exist. */
  byte[] readSealed(SecretKey key, String name) {
    byte[] sealed = read(name);
    if (sealed == null) {
      return null;
    }
    try {
      return Sealing.open(key, name, sealed);
    } catch (AEADBadTagException e) {
      throw new LocalStoreException(
          "The key store file "
              + dir.resolve(name)
              + " was altered or belongs to another store; it cannot be read");
    }
  }

  void writeSealed(SecretKey key, String name, byte[] plain) {
    write(name, Sealing.seal(key, name, plain));
  }

  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      // the lock goes with the process anyway
    }
  }

  private void syncFolder() {
    // makes the rename durable; not every platform can open a folder for this
    try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
      folder.force(true);
    } catch (IOException e) {
      // the file itself is on disk; only the rename may be replayed after a crash
    }
  }

  private static FileAttribute<?>[] fileAttributes(boolean posix) {
    return posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
        : new FileAttribute<?>[0];
  }
}
