package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;
import org.konsil.server.config.KonsilConfig;

/** Sends mail through an SMTP server with STARTTLS, TLS or (for tests on loopback) neither. */
public final class SmtpMailSender implements MailSender {

  private final MailClient client;
  private final String from;

  public SmtpMailSender(Vertx vertx, KonsilConfig.SmtpSettings smtp, String from) {
    this.client = MailClient.createShared(vertx, mailConfig(smtp), "konsil-smtp");
    this.from = from;
  }

  /** The mail client settings for an SMTP server, shared with e-mail-to-fax. */
  public static MailConfig mailConfig(KonsilConfig.SmtpSettings smtp) {
    MailConfig config =
        new MailConfig()
            .setHostname(smtp.host())
            .setPort(smtp.port())
            .setSsl("tls".equals(smtp.security()))
            .setStarttls(
                "starttls".equals(smtp.security())
                    ? StartTLSOptions.REQUIRED
                    : StartTLSOptions.DISABLED)
            .setLogin(smtp.username().isPresent() ? LoginOption.REQUIRED : LoginOption.DISABLED);
    smtp.username().ifPresent(config::setUsername);
    smtp.password().ifPresent(config::setPassword);
    return config;
  }

  /** The same text as simple HTML, with its links clickable. */
  static String html(String text) {
    String escaped =
        text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace("\"", "&quot;");
    String linked = escaped.replaceAll("(https?://[^\\s<]+)", "<a href=\"$1\">$1</a>");
    return "<!DOCTYPE html><html><body style=\"font-family: sans-serif\"><p>"
        + linked.replace("\n\n", "</p><p>").replace("\n", "<br>")
        + "</p></body></html>";
  }

  @Override
  public Future<Void> send(MailMessage mail, String idempotencyKey) {
    io.vertx.ext.mail.MailMessage message =
        new io.vertx.ext.mail.MailMessage()
            .setFrom(from)
            .setTo(mail.to())
            .setSubject(mail.subject())
            .setText(mail.text())
            .setHtml(html(mail.text()));
    message.addHeader("Message-ID", "<" + idempotencyKey + "@konsil>");
    return client.sendMail(message).mapEmpty();
  }
}
