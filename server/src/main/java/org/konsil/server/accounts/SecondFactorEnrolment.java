package org.konsil.server.accounts;

/** A new authenticator secret, shown once: as text and as an otpauth URI for a QR code. */
public record SecondFactorEnrolment(String secret, String otpauthUri) {

  /** Without the secret, so that a log line never carries it. */
  @Override
  public String toString() {
    return "SecondFactorEnrolment";
  }
}
