package org.konsil.server.notifications.sms;

/**
 * What a transport says about one SMS: accepted (with the gateway's id, if it gave one), or refused
 * for good with a reason.
 */
public record SmsReceipt(boolean accepted, String providerId, String reason) {

  public static SmsReceipt accepted(String providerId) {
    return new SmsReceipt(true, providerId, null);
  }

  public static SmsReceipt refused(String reason) {
    return new SmsReceipt(false, null, reason);
  }
}
