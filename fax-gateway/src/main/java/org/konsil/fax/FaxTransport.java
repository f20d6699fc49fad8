package org.konsil.fax;

import io.vertx.core.Future;

/**
 * Hands a fax to whatever sends it. A failed future means "try again later" (the provider was away
 * or refused); a receipt with status FAILED means the fax itself cannot be delivered.
 */
public interface FaxTransport {

  Future<FaxReceipt> send(FaxDocument document);

  /** The status of a fax handed over earlier; transports that learn it at once answer that. */
  Future<FaxReceipt> status(String providerId);
}
