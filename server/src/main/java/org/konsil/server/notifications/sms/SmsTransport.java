package org.konsil.server.notifications.sms;

import io.vertx.core.Future;

/**
 * Hands one SMS to whatever sends it. A failed future means "try again later" (the gateway was away
 * or overloaded); a receipt that is not accepted means this SMS can never be sent as it is (a
 * number the gateway refuses), and the outbox gives it up at once.
 */
public interface SmsTransport {

  /**
   * Sends the text to the number (E.164). {@code idempotencyKey} is the same for every attempt at
   * the same SMS, so a gateway that honours it sends it once.
   */
  Future<SmsReceipt> send(String to, String text, String idempotencyKey);
}
