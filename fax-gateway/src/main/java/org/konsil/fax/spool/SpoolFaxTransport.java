package org.konsil.fax.spool;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.konsil.fax.FaxDocument;
import org.konsil.fax.FaxReceipt;
import org.konsil.fax.FaxTransport;

/**
 * The default transport: writes each fax as PDF and TIFF into a folder (by default under {@code
 * ./data/fax}), named by its idempotency key, so a person can look at them and a repeat overwrites
 * rather than duplicates.
 */
public final class SpoolFaxTransport implements FaxTransport {

  private final Vertx vertx;
  private final Path folder;

  public SpoolFaxTransport(Vertx vertx, Path folder) {
    this.vertx = vertx;
    this.folder = folder;
  }

  @Override
  public Future<FaxReceipt> send(FaxDocument document) {
    return vertx.executeBlocking(
        () -> {
          Files.createDirectories(folder);
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
    Files.write(temporary, bytes);
    Files.move(
        temporary,
        folder.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }
}
