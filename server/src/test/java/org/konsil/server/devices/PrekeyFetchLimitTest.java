package org.konsil.server.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;

/**
 * Prekey bundle fetches are limited per requesting user, whoever they ask for, so that nobody
 * drains other users' one-time prekeys or walks the directory.
 */
class PrekeyFetchLimitTest {

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_PREKEY_FETCH_LIMIT", "3")
          .with("KONSIL_PREKEY_FETCH_WINDOW_SECONDS", "600")
          // the test moves the clock by ten minutes; its access tokens outlive that
          .with("KONSIL_ACCESS_TOKEN_TTL_SECONDS", "3600");

  static Api.Response fetch(Session requester, UUID target) {
    return server.api().get("/api/v1/users/" + target + "/prekey-bundles", requester.accessToken());
  }

  @Test
  void aUserWhoFetchesTooOftenWaitsForTheWindowAndOthersDoNot() {
    TestOrg practice = server.organisation("practice");
    Session anna = server.login(practice.admin());
    Session colleague = server.login(server.user(practice));
    Api.Response registered =
        server.api().post("/api/v1/devices", new TestDevice().registration(10), anna.accessToken());
    assertEquals(201, registered.status(), registered.body());

    // fetches of unknown users count as well: probing costs the same as fetching
    assertEquals(200, fetch(colleague, anna.userId()).status());
    assertEquals(404, fetch(colleague, UUID.randomUUID()).status());
    assertEquals(200, fetch(colleague, anna.userId()).status());
    server.clock.advance(Duration.ofSeconds(200));
    Api.Response limited = fetch(colleague, anna.userId());
    assertEquals(429, limited.status(), limited.body());
    assertEquals("rate_limited", limited.code());
    assertEquals("400", limited.headers().get("Retry-After"));
    assertEquals(429, fetch(colleague, UUID.randomUUID()).status());
    assertEquals(
        10 - 2,
        server.count(
            "SELECT count(*) FROM one_time_prekeys o JOIN devices d ON d.id = o.device"
                + " WHERE d.user_id = '"
                + anna.userId()
                + "' AND o.kind = 'ec'"),
        "refused fetches take no prekey");

    // another user has a count of their own
    assertEquals(200, fetch(anna, anna.userId()).status());

    // a new window
    server.clock.advance(Duration.ofSeconds(400));
    Api.Response again = fetch(colleague, anna.userId());
    assertEquals(200, again.status(), again.body());
    assertEquals(1, again.json().getJsonArray("devices").size());
  }
}
