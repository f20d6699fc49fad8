package org.konsil.server.accounts;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and checks compact JWTs (HS256). Written against the injected clock, so expiry is testable;
 * the claims are few: subject, session, organisation, purpose, issued-at, expiry.
 */
public final class AccessTokens {

  /** What a token may be used for. */
  public enum Purpose {
    ACCESS,
    SECOND_FACTOR
  }

  /** The checked content of a token. */
  public record Claims(UUID userId, UUID sessionId, UUID organisationId, Purpose purpose) {}

  private static final String HEADER =
      b64(
          new JsonObject()
              .put("alg", "HS256")
              .put("typ", "JWT")
              .encode()
              .getBytes(StandardCharsets.UTF_8));
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  private final byte[] secret;
  private final Clock clock;

  public AccessTokens(byte[] secret, Clock clock) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("the token signing secret must have at least 256 bits");
    }
    this.secret = secret.clone();
    this.clock = clock;
  }

  public String issue(Claims claims, Duration ttl) {
    long now = clock.instant().getEpochSecond();
    JsonObject payload =
        new JsonObject()
            .put("iss", "konsil")
            .put("sub", claims.userId().toString())
            .put("org", claims.organisationId().toString())
            .put("pur", claims.purpose().name().toLowerCase(java.util.Locale.ROOT))
            .put("iat", now)
            .put("exp", now + ttl.toSeconds());
    if (claims.sessionId() != null) {
      payload.put("sid", claims.sessionId().toString());
    }
    String unsigned = HEADER + "." + b64(payload.encode().getBytes(StandardCharsets.UTF_8));
    return unsigned + "." + b64(sign(unsigned));
  }

  /** The claims of a well-signed, unexpired token of the given purpose, or null. */
  public Claims verify(String token, Purpose purpose) {
    if (token == null) {
      return null;
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || !HEADER.equals(parts[0])) {
      return null;
    }
    try {
      byte[] signature = B64D.decode(parts[2]);
      if (!MessageDigest.isEqual(signature, sign(parts[0] + "." + parts[1]))) {
        return null;
      }
      JsonObject payload =
          new JsonObject(new String(B64D.decode(parts[1]), StandardCharsets.UTF_8));
      long exp = payload.getLong("exp", 0L);
      if (clock.instant().getEpochSecond() >= exp) {
        return null;
      }
      if (!purpose.name().toLowerCase(java.util.Locale.ROOT).equals(payload.getString("pur"))) {
        return null;
      }
      String sid = payload.getString("sid");
      return new Claims(
          UUID.fromString(payload.getString("sub")),
          sid == null ? null : UUID.fromString(sid),
          UUID.fromString(payload.getString("org")),
          purpose);
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      return null;
    }
  }

  private byte[] sign(String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
    }
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
