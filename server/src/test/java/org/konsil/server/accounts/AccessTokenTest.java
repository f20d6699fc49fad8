package org.konsil.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;

/**
 * A running server accepts an access token only as it signed it: HS256 under its own key, with the
 * payload unchanged, not yet expired. The tokens here are made by hand with the server's key (from
 * its configuration), so that each one differs from an accepted token in one respect only.
 */
class AccessTokenTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static TestOrg practice;
  static byte[] serverKey;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    serverKey = Base64.getDecoder().decode(server.env("KONSIL_JWT_SECRET"));
  }

  @Test
  void tokenAsTheServerSignsItIsAccepted() {
    Session session = server.login(server.user(practice));
    assertAccepted(session, session.accessToken());
    // the hand-made copy of the same claims is accepted too, so the refusals below are about the
    // one thing each token changes
    assertAccepted(session, sign("HS256", serverKey, payload(session)));
  }

  @Test
  void tokenSignedWithAnotherKeyIsRefused() {
    Session session = server.login(server.user(practice));
    byte[] otherKey = serverKey.clone();
    otherKey[0] ^= 1;
    assertRefused(sign("HS256", otherKey, payload(session)));
  }

  @Test
  void tokenWithAlgNoneIsRefused() {
    Session session = server.login(server.user(practice));
    JsonObject payload = payload(session);
    String unsigned = b64(header("none")) + "." + b64(payload);
    assertRefused(unsigned + ".");
    assertRefused(unsigned);
    assertRefused(b64(header("None")) + "." + b64(payload) + ".");
    // the real signature under a header that says none
    assertRefused(unsigned + "." + session.accessToken().split("\\.")[2]);
  }

  @Test
  void tokenSignedWithAnotherAlgorithmAndTheServersKeyIsRefused() {
    Session session = server.login(server.user(practice));
    assertRefused(sign("HS384", serverKey, payload(session)));
    assertRefused(sign("HS512", serverKey, payload(session)));
  }

  @Test
  void tokenWithAChangedPayloadIsRefused() {
    Session session = server.login(server.user(practice));
    String[] parts = session.accessToken().split("\\.");
    JsonObject longer = payload(session);
    longer.put("exp", longer.getLong("exp") + Duration.ofDays(30).toSeconds());
    assertRefused(parts[0] + "." + b64(longer) + "." + parts[2]);
    JsonObject earlier = payload(session);
    earlier.put("iat", earlier.getLong("iat") - 1);
    assertRefused(parts[0] + "." + b64(earlier) + "." + parts[2]);
    // the same payload with one more space in its JSON
    String spaced = payload(session).encode().replace(",", ", ");
    assertRefused(
        parts[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(spaced.getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2]);
  }

  @Test
  void expiredTokenIsRefused() {
    Session session = server.login(server.user(practice));
    long lifetime = payload(session).getLong("exp") - payload(session).getLong("iat");
    server.clock.advance(Duration.ofSeconds(lifetime - 1));
    try {
      assertAccepted(session, session.accessToken());
      server.clock.advance(Duration.ofSeconds(1));
      assertRefused(session.accessToken());
    } finally {
      server.clock.advance(Duration.ofSeconds(-lifetime));
    }
    assertAccepted(session, session.accessToken());
    long now = server.clock.instant().getEpochSecond();
    JsonObject past = payload(session).put("iat", now - 600).put("exp", now - 300);
    assertRefused(sign("HS256", serverKey, past));
    JsonObject noExpiry = payload(session);
    noExpiry.remove("exp");
    assertRefused(sign("HS256", serverKey, noExpiry));
  }

  @Test
  void secondFactorChallengeIsNotAnAccessToken() {
    Session session = server.login(server.user(practice));
    assertRefused(sign("HS256", serverKey, payload(session).put("pur", "second_factor")));
  }

  private static void assertAccepted(Session session, String token) {
    Api.Response me = server.api().get("/api/v1/me", token);
    assertEquals(200, me.status(), me.body());
    assertEquals(session.userId().toString(), me.json().getString("id"));
  }

  private static void assertRefused(String token) {
    Api.Response me = server.api().get("/api/v1/me", token);
    assertEquals(401, me.status(), me.body());
    assertEquals("invalid_token", me.code());
  }

  /** The claims of the session's access token, as the server wrote them. */
  private static JsonObject payload(Session session) {
    String part = session.accessToken().split("\\.")[1];
    return new JsonObject(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
  }

  private static JsonObject header(String algorithm) {
    return new JsonObject().put("typ", "JWT").put("alg", algorithm);
  }

  private static String sign(String algorithm, byte[] key, JsonObject payload) {
    String macName = "HmacSHA" + algorithm.substring(2);
    String unsigned = b64(header(algorithm)) + "." + b64(payload);
    try {
      Mac mac = Mac.getInstance(macName);
      mac.init(new SecretKeySpec(key, macName));
      byte[] signature = mac.doFinal(unsigned.getBytes(StandardCharsets.US_ASCII));
      return unsigned + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(JsonObject json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }
}
