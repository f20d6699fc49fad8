package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;

/**
 * Signs and checks the compact JWTs (HS256, with vertx-auth-jwt) that carry access and
 * second-factor challenges. Expiry is judged by the injected clock, so that tests can pin it; the
 * claims are few: subject, session, organisation, purpose, issued-at, expiry.
 */
public final class AccessTokens {

  /** What a token may be used for. */
  public enum Purpose {
    ACCESS,
    SECOND_FACTOR
  }

  /** The checked content of a token. */
  public record Claims(UUID userId, UUID sessionId, UUID organisationId, Purpose purpose) {}

  private static final String ALGORITHM = "HS256";
  private static final String ISSUER = "konsil";

  /** Where vertx-auth-jwt keeps the checked payload of a token. */
  private static final String PAYLOAD = "accessToken";

  private static final JWTOptions SIGNING =
      new JWTOptions().setAlgorithm(ALGORITHM).setNoTimestamp(true);

  private final JWTAuth jwt;
  private final Clock clock;

  public AccessTokens(Vertx vertx, byte[] secret, Clock clock) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("the token signing secret must have at least 256 bits");
    }
    this.clock = clock;
    // The one key is an HS256 key, so a token that names another algorithm (or none) has no key to
    // be checked with. The library's own expiry check reads the system clock, so it is switched off
    // and verify() judges expiry by the injected clock.
    this.jwt =
        JWTAuth.create(
            vertx,
            new JWTAuthOptions()
                .addPubSecKey(
                    new PubSecKeyOptions()
                        .setAlgorithm(ALGORITHM)
                        .setBuffer(Buffer.buffer(secret.clone())))
                .setJWTOptions(new JWTOptions().setIssuer(ISSUER).setIgnoreExpiration(true)));
  }

  public String issue(Claims claims, Duration ttl) {
    long now = clock.instant().getEpochSecond();
    JsonObject payload =
        new JsonObject()
            .put("iss", ISSUER)
            .put("sub", claims.userId().toString())
            .put("org", claims.organisationId().toString())
            .put("pur", name(claims.purpose()))
            .put("iat", now)
            .put("exp", now + ttl.toSeconds());
    if (claims.sessionId() != null) {
      payload.put("sid", claims.sessionId().toString());
    }
    return jwt.generateToken(payload, SIGNING);
  }

  /**
   * The claims of a well-signed HS256 token of the given purpose that has not expired; a failed
   * future for any other token (its reason is for no one to see).
   */
  public Future<Claims> verify(String token, Purpose purpose) {
    if (token == null || !ALGORITHM.equals(algorithm(token))) {
      return Future.failedFuture("not an HS256 token");
    }
    try {
      return jwt.authenticate(new TokenCredentials(token))
          .map(user -> claims(user.attributes().getJsonObject(PAYLOAD), purpose));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Claims claims(JsonObject payload, Purpose purpose) {
    if (clock.instant().getEpochSecond() >= payload.getLong("exp", 0L)) {
      throw new IllegalArgumentException("expired");
    }
    if (!name(purpose).equals(payload.getString("pur"))) {
      throw new IllegalArgumentException("made for another purpose");
    }
    String sid = payload.getString("sid");
    return new Claims(
        UUID.fromString(payload.getString("sub")),
        sid == null ? null : UUID.fromString(sid),
        UUID.fromString(payload.getString("org")),
        purpose);
  }

  /**
   * The algorithm a token's header names, or null. Checked before the library sees the token, so
   * that the choice of algorithm never comes from the token.
   */
  private static String algorithm(String token) {
    int dot = token.indexOf('.');
    if (dot <= 0) {
      return null;
    }
    try {
      byte[] header = Base64.getUrlDecoder().decode(token.substring(0, dot));
      return new JsonObject(new String(header, StandardCharsets.UTF_8)).getString("alg");
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String name(Purpose purpose) {
    return purpose.name().toLowerCase(Locale.ROOT);
  }
}
