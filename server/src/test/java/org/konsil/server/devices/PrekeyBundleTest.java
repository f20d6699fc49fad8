package org.konsil.server.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;

/**
 * Prekey bundles: a sender builds a real libsignal session from them, each one-time prekey goes to
 * one sender only even when many fetch at once, an empty stock falls back and tells the owner, and
 * only users who share a room or a partnership get anything at all.
 */
class PrekeyBundleTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_PREKEY_FETCH_LIMIT", "1000");

  /** Two organisations with a room together; Bob of the care home has a device. */
  record Pair(Session anna, Session bob, TestOrg practice, TestOrg careHome) {}

  static Pair pair() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    Session anna = server.login(practice.admin());
    Session bob = server.login(careHome.admin());
    server.room(anna, careHome.id());
    return new Pair(anna, bob, practice, careHome);
  }

  static JsonObject register(Session session, TestDevice device, int oneTimeKeys) {
    Api.Response created =
        server
            .api()
            .post("/api/v1/devices", device.registration(oneTimeKeys), session.accessToken());
    assertEquals(201, created.status(), created.body());
    return created.json();
  }

  static Api.Response fetch(Api api, Session requester, UUID target) {
    return api.get("/api/v1/users/" + target + "/prekey-bundles", requester.accessToken());
  }

  static Api.Response fetch(Session requester, UUID target) {
    return fetch(server.api(), requester, target);
  }

  static long stock(Session owner) {
    return server.count(
        "SELECT count(*) FROM one_time_prekeys o JOIN devices d ON d.id = o.device"
            + " WHERE d.user_id = '"
            + owner.userId()
            + "'");
  }

  @Test
  void aSenderBuildsASessionFromTheBundleThatTheDeviceDecrypts() throws Exception {
    Pair pair = pair();
    TestDevice bobsLaptop = new TestDevice();
    int bobsDevice = register(pair.bob(), bobsLaptop, 5).getInteger("deviceId");
    TestDevice bobsPhone = new TestDevice();
    register(pair.bob(), bobsPhone, 5);

    Api.Response fetched = fetch(pair.anna(), pair.bob().userId());
    assertEquals(200, fetched.status(), fetched.body());
    assertEquals(pair.bob().userId().toString(), fetched.json().getString("userId"));
    JsonArray devices = fetched.json().getJsonArray("devices");
    assertEquals(2, devices.size());
    JsonObject laptop = devices.getJsonObject(0);
    assertEquals(bobsDevice, laptop.getInteger("deviceId"));
    assertEquals(bobsLaptop.registrationId, laptop.getInteger("registrationId"));
    assertNotNull(laptop.getJsonObject("preKey"));
    assertFalse(
        laptop.getJsonObject("pqPreKey").getInteger("keyId") == bobsLaptop.lastResortId(),
        "a one-time Kyber prekey while there are some");
    assertEquals(2 * 2 * 4, stock(pair.bob()), "one of each kind taken from each device");

    // Anna's device starts a session from the bundle and encrypts; Bob's laptop decrypts it
    TestDevice annasDevice = new TestDevice();
    SignalProtocolAddress bob =
        new SignalProtocolAddress(pair.bob().userId().toString(), bobsDevice);
    new SessionBuilder(annasDevice.store, bob).process(TestDevice.bundle(laptop));
    byte[] text = "Verbandswechsel erledigt, Wunde reizlos.".getBytes(StandardCharsets.UTF_8);
    CiphertextMessage sent = new SessionCipher(annasDevice.store, bob).encrypt(text);
    assertEquals(CiphertextMessage.PREKEY_TYPE, sent.getType());
    PreKeySignalMessage received = new PreKeySignalMessage(sent.serialize());
    assertEquals(laptop.getJsonObject("preKey").getInteger("keyId"), received.getPreKeyId().get());
    SignalProtocolAddress anna = new SignalProtocolAddress(pair.anna().userId().toString(), 1);
    byte[] decrypted = new SessionCipher(bobsLaptop.store, anna).decrypt(received);
    assertArrayEquals(text, decrypted);
    // the one-time prekey is used up on the device as well
    assertFalse(bobsLaptop.store.containsPreKey(received.getPreKeyId().get()));
  }

  @Test
  void manyFetchesAtOnceNeverShareAOneTimePrekey() throws Exception {
    Pair pair = pair();
    TestDevice device = new TestDevice();
    int stocked = 30;
    int fetches = 40;
    register(pair.bob(), device, stocked);
    List<Session> requesters = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      requesters.add(server.login(server.user(pair.practice())));
    }

    ExecutorService pool = Executors.newFixedThreadPool(fetches);
    List<Future<Api.Response>> answers = new ArrayList<>();
    try {
      CountDownLatch start = new CountDownLatch(1);
      for (int i = 0; i < fetches; i++) {
        Session requester = requesters.get(i % requesters.size());
        Api api = new Api(server.clientVertx(), server.port());
        answers.add(
            pool.submit(
                () -> {
                  start.await();
                  return fetch(api, requester, pair.bob().userId());
                }));
      }
      start.countDown();
      List<Integer> ecIds = new ArrayList<>();
      List<Integer> kyberIds = new ArrayList<>();
      int fellBack = 0;
      for (Future<Api.Response> answer : answers) {
        Api.Response response = answer.get();
        assertEquals(200, response.status(), response.body());
        JsonObject bundle = response.json().getJsonArray("devices").getJsonObject(0);
        JsonObject preKey = bundle.getJsonObject("preKey");
        int kyber = bundle.getJsonObject("pqPreKey").getInteger("keyId");
        if (preKey == null) {
          assertEquals(device.lastResortId(), kyber, "no EC prekey left, so none of Kyber either");
          fellBack++;
        } else {
          ecIds.add(preKey.getInteger("keyId"));
          kyberIds.add(kyber);
        }
      }
      assertEquals(stocked, new HashSet<>(ecIds).size(), "EC prekeys handed out: " + ecIds);
      assertEquals(stocked, ecIds.size(), "no EC prekey twice: " + ecIds);
      assertEquals(stocked, new HashSet<>(kyberIds).size(), "no Kyber prekey twice: " + kyberIds);
      assertFalse(kyberIds.contains(device.lastResortId()));
      assertEquals(fetches - stocked, fellBack);
      assertEquals(0, stock(pair.bob()));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anEmptyStockFallsBackToTheLastResortKeyAndTellsTheOwner() throws Exception {
    Pair pair = pair();
    TestDevice device = new TestDevice();
    int deviceId = register(pair.bob(), device, 1).getInteger("deviceId");
    try (TestSocket bobsSocket = server.socket(pair.bob())) {
      JsonObject first = fetch(pair.anna(), pair.bob().userId()).json();
      JsonObject taken = first.getJsonArray("devices").getJsonObject(0);
      assertNotNull(taken.getJsonObject("preKey"));
      JsonObject low = bobsSocket.next("prekeys_low");
      assertEquals(deviceId, low.getInteger("deviceId"));
      assertEquals(0, low.getInteger("preKeys"));
      assertEquals(0, low.getInteger("pqPreKeys"));

      JsonObject second = fetch(pair.anna(), pair.bob().userId()).json();
      JsonObject fallback = second.getJsonArray("devices").getJsonObject(0);
      assertNull(fallback.getJsonObject("preKey"));
      assertTrue(fallback.containsKey("preKey"), "preKey is there, as null");
      assertEquals(device.lastResortId(), fallback.getJsonObject("pqPreKey").getInteger("keyId"));
      assertEquals(deviceId, bobsSocket.next("prekeys_low").getInteger("deviceId"));

      // a session from the fallback bundle works as well
      TestDevice annasDevice = new TestDevice();
      SignalProtocolAddress bob =
          new SignalProtocolAddress(pair.bob().userId().toString(), deviceId);
      new SessionBuilder(annasDevice.store, bob).process(TestDevice.bundle(fallback));
      byte[] text = "Bitte Rückruf".getBytes(StandardCharsets.UTF_8);
      PreKeySignalMessage sent =
          new PreKeySignalMessage(
              new SessionCipher(annasDevice.store, bob).encrypt(text).serialize());
      assertTrue(sent.getPreKeyId().isEmpty());
      SignalProtocolAddress anna = new SignalProtocolAddress(pair.anna().userId().toString(), 1);
      assertArrayEquals(text, new SessionCipher(device.store, anna).decrypt(sent));

      // the owner refills; the next fetch gets one-time keys again and no warning
      JsonObject refill =
          new JsonObject()
              .put("preKeys", device.preKeys(20))
              .put("pqPreKeys", device.pqPreKeys(20));
      server.api().put("/api/v1/devices/" + deviceId + "/keys", refill, pair.bob().accessToken());
      JsonObject third = fetch(pair.anna(), pair.bob().userId()).json();
      assertNotNull(third.getJsonArray("devices").getJsonObject(0).getJsonObject("preKey"));
      bobsSocket.expectNone("prekeys_low", 500);
    }
  }

  @Test
  void aStrangerGetsTheAnswerOfAnUnknownUserAndTakesNothing() {
    Pair pair = pair();
    register(pair.bob(), new TestDevice(), 3);
    TestOrg outsider = server.organisation("pharmacy");
    Session eve = server.login(outsider.admin());

    Api.Response stranger = fetch(eve, pair.bob().userId());
    UUID nobody = UUID.randomUUID();
    Api.Response unknown = fetch(eve, nobody);
    assertEquals(404, stranger.status(), stranger.body());
    assertEquals(404, unknown.status());
    assertEquals(withoutInstance(unknown), withoutInstance(stranger));
    assertEquals(
        "/api/v1/users/" + pair.bob().userId() + "/prekey-bundles",
        stranger.json().getString("instance"));
    assertEquals(
        404,
        server.api().get("/api/v1/users/not-a-user/prekey-bundles", eve.accessToken()).status());
    assertEquals(3 * 2, stock(pair.bob()), "the stranger took no prekey");

    // both refusals are in Eve's trail; Bob's organisation sees the probe of its user
    JsonArray evesTrail = server.api().get("/api/v1/audit-events", eve.accessToken()).array();
    assertEquals(2, denied(evesTrail, "prekeys.fetch").size());
    Waiting.until(
        () ->
            denied(
                        server.api().get("/api/v1/audit-events", pair.bob().accessToken()).array(),
                        "prekeys.fetch")
                    .size()
                == 1,
        "the copy of the refusal in the care home's trail");
  }

  static JsonObject withoutInstance(Api.Response response) {
    JsonObject body = response.json().copy();
    body.remove("instance");
    return body;
  }

  static List<JsonObject> denied(JsonArray trail, String action) {
    List<JsonObject> found = new ArrayList<>();
    for (int i = 0; i < trail.size(); i++) {
      JsonObject event = trail.getJsonObject(i);
      if (action.equals(event.getString("action")) && "denied".equals(event.getString("outcome"))) {
        found.add(event);
      }
    }
    return found;
  }

  @Test
  void aSharedRoomOrAnActiveConsentOpensTheDirectory() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestOrg pharmacy = server.organisation("pharmacy");
    Session anna = server.login(practice.admin());
    Session tom = server.login(server.user(careHome));
    Session paula = server.login(pharmacy.admin());
    Session colleague = server.login(server.user(practice));
    register(anna, new TestDevice(), 2);

    assertEquals(404, fetch(tom, anna.userId()).status());
    assertEquals(404, fetch(paula, anna.userId()).status());
    // colleagues reach each other, and one reaches one's own other devices
    assertEquals(200, fetch(colleague, anna.userId()).status());
    assertEquals(200, fetch(anna, anna.userId()).status());

    // a room with the care home
    server.room(anna, careHome.id());
    Api.Response viaRoom = fetch(tom, anna.userId());
    assertEquals(200, viaRoom.status(), viaRoom.body());
    assertEquals(1, viaRoom.json().getJsonArray("devices").size());

    // a patient's consent that covers the pharmacy, without any room yet
    UUID patient = server.patient(anna, "Consentina");
    assertEquals(
        201,
        server
            .uploadConsent(anna, patient, Documents.pdf(), "application/pdf", pharmacy.id())
            .status());
    assertEquals(200, fetch(paula, anna.userId()).status());
    // and the other way round: the pharmacy's users are reachable for the practice
    Api.Response noDevices = fetch(anna, paula.userId());
    assertEquals(200, noDevices.status(), noDevices.body());
    assertEquals(0, noDevices.json().getJsonArray("devices").size());

    // revoked consent: the partnership ends
    Api.Response revoked =
        server
            .api()
            .send(
                io.vertx.core.http.HttpMethod.POST,
                "/api/v1/patients/" + patient + "/revocation?date=2025-01-02",
                anna.accessToken(),
                null,
                null);
    assertEquals(200, revoked.status(), revoked.body());
    assertEquals(404, fetch(paula, anna.userId()).status());
  }
}
