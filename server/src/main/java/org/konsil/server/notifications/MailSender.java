package org.konsil.server.notifications;

import io.vertx.core.Future;

/** Delivers one e-mail; the outbox worker retries when the future fails. */
public interface MailSender {

  /**
   * @param idempotencyKey the same for every attempt at the same mail, sent as its Message-ID so
   *     that a receiving system can recognise a repeat
   */
  Future<Void> send(MailMessage mail, String idempotencyKey);
}
