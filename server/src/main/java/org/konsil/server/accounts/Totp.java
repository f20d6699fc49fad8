package org.konsil.server.accounts;

import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.util.encoders.Base32;

/** Time-based one-time passwords after RFC 6238: HMAC-SHA1, 30-second steps, six digits. */
public final class Totp {

  private static final int STEP_SECONDS = 30;
  private static final int DIGITS = 6;

  private final Clock clock;

  public Totp(Clock clock) {
    this.clock = clock;
  }

  /** A new 160-bit secret in Base32, as authenticator apps expect it. */
  public static String newSecret() {
    return Base32.toBase32String(Secrets.randomBytes(20)).replace("=", "");
  }

  public static String otpauthUri(String secret, String account, String issuer) {
    String label = enc(issuer) + ":" + enc(account);
    return "otpauth://totp/"
        + label
        + "?secret="
        + secret
        + "&issuer="
        + enc(issuer)
        + "&algorithm=SHA1&digits="
        + DIGITS
        + "&period="
        + STEP_SECONDS;
  }

  public long currentStep() {
    return clock.instant().getEpochSecond() / STEP_SECONDS;
  }

  /**
   * The time step a code belongs to, within one step of clock drift either way and after {@code
   * lastUsedStep} (a code is good once), or -1.
   */
  public long matchingStep(String secret, String code, long lastUsedStep) {
    if (code == null || !code.matches("\\d{" + DIGITS + "}")) {
      return -1;
    }
    long now = currentStep();
    for (long step = now - 1; step <= now + 1; step++) {
      if (step > lastUsedStep && code.equals(codeAt(secret, step))) {
        return step;
      }
    }
    return -1;
  }

  public static String codeAt(String secret, long step) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(decode(secret), "HmacSHA1"));
      byte[] hash = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
      int offset = hash[hash.length - 1] & 0x0f;
      int binary =
          ((hash[offset] & 0x7f) << 24)
              | ((hash[offset + 1] & 0xff) << 16)
              | ((hash[offset + 2] & 0xff) << 8)
              | (hash[offset + 3] & 0xff);
      return String.format("%0" + DIGITS + "d", binary % 1_000_000);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is part of every JRE", e);
    }
  }

  private static byte[] decode(String secret) {
    String padded = secret;
    while (padded.length() % 8 != 0) {
      padded = padded + "=";
    }
    return Base32.decode(padded);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
