package org.konsil.server.delivery;

import io.vertx.core.json.JsonObject;

/**
 * An organisation's delivery settings: how many days a link verified by birth date or insurance
 * number lives (14 by default), one verified by SMS code (90), and whether invoices may go without
 * verification (off by default).
 */
public record DeliverySettings(
    int verifiedLinkDays, int smsLinkDays, boolean allowUnverifiedInvoices) {

  static final DeliverySettings DEFAULTS = new DeliverySettings(14, 90, false);

  JsonObject toJson() {
    return new JsonObject()
        .put("verifiedLinkDays", verifiedLinkDays)
        .put("smsLinkDays", smsLinkDays)
        .put("allowUnverifiedInvoices", allowUnverifiedInvoices);
  }
}
