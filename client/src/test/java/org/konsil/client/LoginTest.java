package org.konsil.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.konsil.client.TestClients.await;
import static org.konsil.client.TestClients.failure;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.client.event.ConnectionLost;
import org.konsil.client.event.SessionEnded;
import org.konsil.client.http.Account;
import org.konsil.client.http.KonsilApiException;
import org.konsil.client.http.LoginStep;
import org.konsil.client.http.SessionEndedException;
import org.konsil.server.accounts.Totp;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.MutableClock;

/**
 * Logging in with the client library against a real server: password, the second factor when the
 * server asks for it, tokens refreshed before and after they expire, logout, and a session the
 * server ends.
 */
class LoginTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    await(vertx.close());
  }

  @Test
  void aPasswordLogsInAndTheClientRefreshesItsTokenBeforeItExpires() {
    TestOrg practice = server.organisation("practice");
    TestUser anna = server.user(practice, "Anna Berger");
    MutableClock clientClock = new MutableClock(Instant.now());
    EventLog log = new EventLog();
    KonsilClient client =
        TestClients.client(vertx, TestClients.options(server).setClock(clientClock), log);

    Account account = await(client.login(anna.email(), anna.password(), SecondFactorPrompt.NONE));
    assertEquals(anna.email(), account.email());
    assertEquals("Anna Berger", account.displayName());
    assertEquals(practice.id(), account.organisationId());
    long before = allRefreshTokens(account.id());

    // the client's clock says the access token is about to expire: the next call refreshes first
    clientClock.advance(Duration.ofMinutes(5));
    await(client.connect());
    assertEquals(before + 1, allRefreshTokens(account.id()), "one rotation of the refresh token");
    assertEquals(1, activeSessions(account.id()));
    await(client.close());
  }

  @Test
  void anAccessTokenTheServerFindsExpiredIsRefreshedAndTheCallRetried() {
    TestOrg practice = server.organisation("practice");
    TestUser anna = server.user(practice);
    KonsilClient client = TestClients.client(vertx, TestClients.options(server), new EventLog());
    Account account = await(client.login(anna.email(), anna.password(), SecondFactorPrompt.NONE));
    long before = allRefreshTokens(account.id());

    server.clock.advance(Duration.ofMinutes(6));
    try {
      await(client.connect());
    } finally {
      server.clock.advance(Duration.ofMinutes(-6));
    }
    assertEquals(before + 1, allRefreshTokens(account.id()));
    await(client.close());
  }

  @Test
  void theSecondFactorIsAskedForWhenTheServerWantsIt() {
    TestOrg practice = server.organisation("practice");
    TestUser anna = server.user(practice);
    String secret = enrolTotp(anna);
    server.clock.advance(Duration.ofSeconds(30));

    KonsilClient client = TestClients.client(vertx, TestClients.options(server), new EventLog());
    Account account =
        await(
            client.login(
                anna.email(),
                anna.password(),
                () -> Future.succeededFuture(Totp.codeAt(secret, step()))));
    assertEquals(anna.email(), account.email());
    await(client.connect());
    await(client.close());

    // by hand, and a wrong code refused with the server's code
    server.clock.advance(Duration.ofSeconds(30));
    KonsilClient other = TestClients.client(vertx, TestClients.options(server), new EventLog());
    LoginStep step = await(other.login(anna.email(), anna.password()));
    assertTrue(step.secondFactorRequired());
    String wrong = Totp.codeAt(secret, step() + 7);
    KonsilApiException refused =
        assertInstanceOf(
            KonsilApiException.class, failure(other.completeSecondFactor(step.challenge(), wrong)));
    assertEquals("invalid_second_factor", refused.code());
    assertEquals(
        anna.email(),
        await(other.completeSecondFactor(step.challenge(), Totp.codeAt(secret, step()))).email());

    // without a prompt a login that needs one fails
    server.clock.advance(Duration.ofSeconds(30));
    assertInstanceOf(
        IllegalStateException.class,
        failure(
            TestClients.client(vertx, TestClients.options(server), new EventLog())
                .login(anna.email(), anna.password(), SecondFactorPrompt.NONE)));
  }

  @Test
  void aWrongPasswordIsRefusedWithTheServersCode() {
    TestOrg practice = server.organisation("practice");
    TestUser anna = server.user(practice);
    KonsilClient client = TestClients.client(vertx, TestClients.options(server), new EventLog());
    KonsilApiException refused =
        assertInstanceOf(
            KonsilApiException.class,
            failure(client.login(anna.email(), "not the password", SecondFactorPrompt.NONE)));
    assertEquals(401, refused.status());
    assertEquals("invalid_credentials", refused.code());
    assertInstanceOf(SessionEndedException.class, failure(client.connect()));
  }

  @Test
  void logoutEndsTheSessionAndClosesTheSocket() {
    TestOrg practice = server.organisation("practice");
    TestUser anna = server.user(practice);
    EventLog log = new EventLog();
    KonsilClient client = TestClients.client(vertx, TestClients.options(server), log);
    Account account = await(client.login(anna.email(), anna.password(), SecondFactorPrompt.NONE));
    await(client.connect());

    await(client.logout());
    assertEquals("logout", log.next(SessionEnded.class).code());
    assertEquals(0, activeSessions(account.id()), "the server ended the session");
    SessionEndedException ended =
        assertInstanceOf(SessionEndedException.class, failure(client.refresh()));
    assertEquals("not_logged_in", ended.code());
    assertTrue(log.all(ConnectionLost.class).isEmpty(), "a logout is no lost connection");
  }

  @Test
  void aSessionTheServerEndsStopsTheClientFromReconnecting() {
    TestOrg practice = server.organisation("practice");
    TestUser tom = server.user(practice);
    EventLog log = new EventLog();
    KonsilClient client = TestClients.client(vertx, TestClients.options(server), log);
    Account account = await(client.login(tom.email(), tom.password(), SecondFactorPrompt.NONE));
    await(client.connect());

    Session admin = server.login(practice.admin());
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/organisation/users/" + account.id() + "/disable",
                null,
                admin.accessToken())
            .status());
    assertEquals("account_disabled", log.next(SessionEnded.class).code());
    assertInstanceOf(
        SessionEndedException.class, failure(client.send(UUID.randomUUID(), "after the end")));
    assertFalse(log.all(ConnectionLost.class).size() > 0, "no reconnect after the session ended");
  }

  private static String enrolTotp(TestUser user) {
    Session session = server.login(user);
    String secret =
        server
            .api()
            .post("/api/v1/me/second-factor", null, session.accessToken())
            .json()
            .getString("secret");
    assertEquals(
        200,
        server
            .api()
            .post(
                "/api/v1/me/second-factor/confirm",
                new JsonObject().put("code", Totp.codeAt(secret, step())),
                session.accessToken())
            .status());
    return secret;
  }

  private static long step() {
    return server.clock.instant().getEpochSecond() / 30;
  }

  private static long activeSessions(UUID user) {
    return server.count(
        "SELECT count(*) FROM sessions WHERE user_id = '" + user + "' AND revoked_at IS NULL");
  }

  private static long allRefreshTokens(UUID user) {
    return server.count(
        "SELECT count(*) FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id"
            + " WHERE s.user_id = '"
            + user
            + "'");
  }
}
