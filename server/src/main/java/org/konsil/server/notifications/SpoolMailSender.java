package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import org.konsil.server.files.PrivateFiles;

/**
 * The default when no SMTP server is configured: each mail becomes an {@code .eml} file in a folder
 * (by default {@code ./data/mail}), so a person can open it. The folder is 0700 and each file 0600:
 * the mails carry set-password links and invitation codes.
 */
public final class SpoolMailSender implements MailSender {

  private static final DateTimeFormatter RFC_1123 = DateTimeFormatter.RFC_1123_DATE_TIME;

  private final Vertx vertx;
  private final Path folder;
  private final String from;
  private final Clock clock;

  public SpoolMailSender(Vertx vertx, Path folder, String from, Clock clock) {
    this.vertx = vertx;
    this.folder = folder;
    this.from = from;
    this.clock = clock;
  }

  @Override
  public Future<Void> send(MailMessage mail, String idempotencyKey) {
    return vertx.executeBlocking(
        () -> {
          PrivateFiles.folder(folder);
          String eml =
              "From: "
                  + from
                  + "\r\nTo: "
                  + mail.to()
                  + "\r\nSubject: "
                  + mail.subject()
                  + "\r\nDate: "
                  + RFC_1123.format(clock.instant().atZone(java.time.ZoneOffset.UTC))
                  + "\r\nMessage-ID: <"
                  + idempotencyKey
                  + "@konsil>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
                  + mail.text().replace("\n", "\r\n");
          // Written under a temporary name and moved, so a reader never sees half a mail; the
          // idempotency key as file name makes a repeated attempt overwrite, not duplicate.
          Path target = folder.resolve(idempotencyKey + ".eml");
          Path temporary = folder.resolve(idempotencyKey + ".eml.tmp");
          PrivateFiles.writeString(temporary, eml);
          Files.move(
              temporary,
              target,
              StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
          return null;
        });
  }
}
