package org.konsil.fax;

/**
 * What a transport answers for a fax it took: the provider's id (to poll or to match a callback)
 * and the status so far, with the reason when it failed.
 */
public record FaxReceipt(String providerId, FaxStatus status, String reason) {

  public static FaxReceipt delivered(String providerId) {
    return new FaxReceipt(providerId, FaxStatus.DELIVERED, null);
  }

  public static FaxReceipt sending(String providerId) {
    return new FaxReceipt(providerId, FaxStatus.SENDING, null);
  }

  public static FaxReceipt failed(String providerId, String reason) {
    return new FaxReceipt(providerId, FaxStatus.FAILED, reason);
  }
}
