package org.konsil.client.live;

/**
 * The server refused a message ({@code not_a_member}, {@code consent_revoked}, {@code
 * client_msg_id_reused}, {@code validation_failed}, ...): it is not stored and not sent again.
 */
public final class SendRefusedException extends RuntimeException {

  private final String code;

  public SendRefusedException(String code, String detail) {
    super(code + ": " + detail);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
