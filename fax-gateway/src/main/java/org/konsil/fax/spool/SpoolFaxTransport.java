package org.konsil.fax.spool;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.konsil.fax.FaxDocument;
import org.konsil.fax.FaxReceipt;
import org.konsil.fax.FaxTransport;

/**
 * The default transport: writes each fax as PDF and TIFF into a folder (by default under {@code
 * ./data/fax}), named by its idempotency key, so a person can look at them and a repeat overwrites
 * rather than duplicates. The letters carry registration codes: the folder is 0700 and each file
 * 0600, set at creation because a JVM cannot set its umask.
 */
public final class SpoolFaxTransport implements FaxTransport {

  private static final Set<PosixFilePermission> FOLDER =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private final Vertx vertx;
  private final Path folder;
  private final boolean posix;

  public SpoolFaxTransport(Vertx vertx, Path folder) {
    this.vertx = vertx;
    this.folder = folder;
    this.posix = folder.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  @Override
  public Future<FaxReceipt> send(FaxDocument document) {
    return vertx.executeBlocking(
        () -> {
          createFolder();
          String name = document.idempotencyKey() + "-" + document.to().digits();
          write(name + ".pdf", document.pdf());
          write(name + ".tiff", document.tiff());
          return FaxReceipt.delivered(name);
        });
  }

  @Override
  public Future<FaxReceipt> status(String providerId) {
    return vertx.executeBlocking(
        () ->
            Files.exists(folder.resolve(providerId + ".pdf"))
                ? FaxReceipt.delivered(providerId)
                : FaxReceipt.failed(providerId, "not in the spool folder"));
  }

  private void write(String name, byte[] bytes) throws java.io.IOException {
    Path temporary = folder.resolve(name + ".tmp");
    Files.deleteIfExists(temporary);
    Files.createFile(temporary, attributes(FILE));
    Files.write(temporary, bytes, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    Files.move(
        temporary,
        folder.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Creates the folder (and missing parents) as 0700, and narrows one that an older version made.
   */
  private void createFolder() throws java.io.IOException {
    if (!Files.isDirectory(folder)) {
      Files.createDirectories(folder, attributes(FOLDER));
    } else if (posix && !Files.getPosixFilePermissions(folder).equals(FOLDER)) {
      Files.setPosixFilePermissions(folder, FOLDER);
    }
  }

  private FileAttribute<?>[] attributes(Set<PosixFilePermission> permissions) {
    return posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
        : new FileAttribute<?>[0];
  }
}
