package org.konsil.server.notifications.sms.spool;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.konsil.server.notifications.sms.SmsReceipt;
import org.konsil.server.notifications.sms.SmsTransport;

/**
 * The default transport: writes each SMS as a text file into a folder (by default {@code
 * ./data/sms}), named by its idempotency key and number, so a person can read what would have been
 * sent and a repeat overwrites rather than duplicates. The texts carry one-time codes: the folder
 * is 0700 and each file 0600, set at creation.
 */
public final class SpoolSmsTransport implements SmsTransport {

  private static final Set<PosixFilePermission> FOLDER =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private final Vertx vertx;
  private final Path folder;
  private final boolean posix;

  public SpoolSmsTransport(Vertx vertx, Path folder) {
    this.vertx = vertx;
    this.folder = folder;
    this.posix = folder.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  @Override
  public Future<SmsReceipt> send(String to, String text, String idempotencyKey) {
    return vertx.executeBlocking(
        () -> {
          if (!Files.isDirectory(folder)) {
            Files.createDirectories(folder, attributes(FOLDER));
          }
          String name = idempotencyKey + "-" + to.replace("+", "") + ".txt";
          Path temporary = folder.resolve(name + ".tmp");
          Files.deleteIfExists(temporary);
          Files.createFile(temporary, attributes(FILE));
          Files.writeString(
              temporary,
              "To: " + to + "\n\n" + text + "\n",
              StandardCharsets.UTF_8,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
          Files.move(
              temporary,
              folder.resolve(name),
              StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
          return SmsReceipt.accepted(name);
        });
  }

  private FileAttribute<?>[] attributes(Set<PosixFilePermission> permissions) {
    return posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
        : new FileAttribute<?>[0];
  }
}
