package org.konsil.fax.smtp;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.mail.MailAttachment;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailMessage;
import java.util.List;
import org.konsil.fax.FaxDocument;
import org.konsil.fax.FaxReceipt;
import org.konsil.fax.FaxTransport;

/**
 * E-mail-to-fax: the PDF goes as an attachment to {@code <number>@<gateway domain>}; the gateway
 * faxes it. A fax counts as delivered once the gateway's mail server accepted it.
 */
public final class SmtpFaxTransport implements FaxTransport {

  private final MailClient mail;
  private final String from;
  private final String gatewayDomain;

  public SmtpFaxTransport(MailClient mail, String from, String gatewayDomain) {
    this.mail = mail;
    this.from = from;
    this.gatewayDomain = gatewayDomain;
  }

  /** The gateway address for a number: its digits without '+', at the gateway's domain. */
  public String addressFor(FaxDocument document) {
    return document.to().digits() + "@" + gatewayDomain;
  }

  @Override
  public Future<FaxReceipt> send(FaxDocument document) {
    MailAttachment pdf =
        MailAttachment.create()
            .setName("konsil.pdf")
            .setContentType("application/pdf")
            .setData(Buffer.buffer(document.pdf()));
    MailMessage message =
        new MailMessage()
            .setFrom(from)
            .setTo(addressFor(document))
            .setSubject("Konsil")
            .setText("Konsil")
            .setAttachment(List.of(pdf));
    message.addHeader("Message-ID", "<" + document.idempotencyKey() + "@konsil>");
    return mail.sendMail(message).map(result -> FaxReceipt.delivered(document.idempotencyKey()));
  }

  @Override
  public Future<FaxReceipt> status(String providerId) {
    return Future.succeededFuture(FaxReceipt.delivered(providerId));
  }
}
