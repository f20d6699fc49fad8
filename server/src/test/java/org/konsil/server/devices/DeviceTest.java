package org.konsil.server.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestSocket;

/**
 * Registering, listing and removing devices, and uploading their prekeys: every key is checked with
 * libsignal, a bad one is refused with its own code and nothing of the request is stored.
 */
class DeviceTest {

  @RegisterExtension
  static KonsilServer server = new KonsilServer().with("KONSIL_MAX_DEVICES", "3");

  /** The admin of a new organisation, logged in (admins read their trail). */
  static Session someone() {
    TestOrg org = server.organisation("practice");
    return server.login(org.admin());
  }

  static Api.Response register(Session session, JsonObject body) {
    return server.api().post("/api/v1/devices", body, session.accessToken());
  }

  static JsonArray devices(Session session) {
    return server.api().get("/api/v1/devices", session.accessToken()).array();
  }

  static long stored(Session session, String table) {
    String devices = "SELECT id FROM devices WHERE user_id = '" + session.userId() + "'";
    return server.count(
        table.equals("devices")
            ? "SELECT count(*) FROM (" + devices + ") d"
            : "SELECT count(*) FROM one_time_prekeys WHERE device IN (" + devices + ")");
  }

  @Test
  void aRegisteredDeviceIsListedWithItsKeysAndARetryFindsIt() {
    Session anna = someone();
    TestDevice laptop = new TestDevice();
    JsonObject body = laptop.registration(5).put("name", "Praxis-PC Empfang");

    Api.Response created = register(anna, body);
    assertEquals(201, created.status(), created.body());
    JsonObject device = created.json();
    assertEquals(1, device.getInteger("deviceId"));
    assertEquals(laptop.registrationId, device.getInteger("registrationId"));
    assertEquals("Praxis-PC Empfang", device.getString("name"));
    assertEquals(
        TestDevice.base64(laptop.identity.getPublicKey().serialize()),
        device.getString("identityKey"));
    assertEquals(laptop.signedPreKeyId(), device.getInteger("signedPreKeyId"));
    assertEquals(laptop.lastResortId(), device.getInteger("pqLastResortPreKeyId"));
    assertEquals(5, device.getInteger("preKeys"));
    assertEquals(5, device.getInteger("pqPreKeys"));
    assertEquals(1, devices(anna).size());
    assertEquals(device, devices(anna).getJsonObject(0));

    // the answer was lost and the client sends the same request again: no second device
    Api.Response again = register(anna, body);
    assertEquals(200, again.status(), again.body());
    assertEquals(device, again.json());
    assertEquals(1, devices(anna).size());
  }

  @Test
  void aBadSignatureIsRefusedAndNothingIsStored() {
    Session anna = someone();
    TestDevice device = new TestDevice();

    JsonObject tampered = device.registration(3);
    JsonObject signed = tampered.getJsonObject("signedPreKey");
    byte[] signature = TestDevice.bytes(signed.getString("signature"));
    signature[10] ^= 1;
    signed.put("signature", TestDevice.base64(signature));
    Api.Response refused = register(anna, tampered);
    assertEquals(422, refused.status(), refused.body());
    assertEquals("invalid_signature", refused.code());
    assertTrue(refused.json().getString("detail").contains("'signedPreKey'"), refused.body());

    // one bad Kyber prekey deep in a batch spoils the whole request
    JsonObject lastBad = device.registration(60);
    JsonObject kyber = lastBad.getJsonArray("pqPreKeys").getJsonObject(57);
    kyber.put("signature", TestDevice.base64(new TestDevice().sign(new byte[] {1, 2, 3})));
    refused = register(anna, lastBad);
    assertEquals("invalid_signature", refused.code(), refused.body());
    assertTrue(refused.json().getString("detail").contains("'pqPreKeys[57]'"), refused.body());

    // signed by another identity than the one uploaded
    JsonObject foreign = device.registration(1);
    TestDevice other = new TestDevice();
    JsonObject otherSigned = other.signedPreKey();
    foreign.put("signedPreKey", otherSigned);
    refused = register(anna, foreign);
    assertEquals("invalid_signature", refused.code(), refused.body());

    assertEquals(0, stored(anna, "devices"));
    assertEquals(0, stored(anna, "one_time_prekeys"));
    assertEquals(0, devices(anna).size());
  }

  @Test
  void keysThatAreNoKeysOfTheirKindAreRefused() {
    Session anna = someone();
    TestDevice device = new TestDevice();
    byte[] identity = device.identity.getPublicKey().serialize();

    JsonObject wrongType = device.registration(1);
    byte[] retyped = identity.clone();
    retyped[0] = 0x07;
    wrongType.put("identityKey", TestDevice.base64(retyped));
    assertInvalidKey(register(anna, wrongType), "identityKey");

    // libsignal reads past trailing bytes; the directory keeps only exact keys
    JsonObject trailing = device.registration(1);
    byte[] longer = java.util.Arrays.copyOf(identity, identity.length + 1);
    trailing.put("identityKey", TestDevice.base64(longer));
    assertInvalidKey(register(anna, trailing), "identityKey");

    // an EC key where a Kyber key belongs
    JsonObject swapped = device.registration(1);
    swapped
        .getJsonObject("pqLastResortPreKey")
        .put("publicKey", swapped.getJsonObject("signedPreKey").getString("publicKey"));
    assertInvalidKey(register(anna, swapped), "pqLastResortPreKey.publicKey");

    JsonObject truncated = device.registration(2);
    JsonObject oneTime = truncated.getJsonArray("preKeys").getJsonObject(1);
    byte[] key = TestDevice.bytes(oneTime.getString("publicKey"));
    oneTime.put("publicKey", TestDevice.base64(java.util.Arrays.copyOf(key, 20)));
    assertInvalidKey(register(anna, truncated), "preKeys[1].publicKey");

    JsonObject notBase64 = device.registration(1).put("identityKey", "not base64!");
    assertEquals("validation_failed", register(anna, notBase64).code());
    JsonObject twice = device.registration(2);
    twice
        .getJsonArray("preKeys")
        .getJsonObject(1)
        .put("keyId", twice.getJsonArray("preKeys").getJsonObject(0).getInteger("keyId"));
    assertEquals("validation_failed", register(anna, twice).code());
    assertEquals(
        "validation_failed",
        register(anna, device.registration(1).put("registrationId", 16384)).code());
    JsonObject noLastResort = device.registration(1);
    noLastResort.remove("pqLastResortPreKey");
    assertEquals("validation_failed", register(anna, noLastResort).code());

    assertEquals(0, stored(anna, "devices"));
  }

  static void assertInvalidKey(Api.Response refused, String field) {
    assertEquals(422, refused.status(), refused.body());
    assertEquals("invalid_key", refused.code(), refused.body());
    assertTrue(refused.json().getString("detail").contains("'" + field + "'"), refused.body());
  }

  @Test
  void theDeviceLimitHoldsAndRemovedDevicesFreeAPlaceButNotTheirIdOrKey() {
    Session anna = someone();
    TestDevice first = new TestDevice();
    for (TestDevice device : List.of(first, new TestDevice(), new TestDevice())) {
      assertEquals(201, register(anna, device.registration(1)).status());
    }
    Api.Response refused = register(anna, new TestDevice().registration(1));
    assertEquals(409, refused.status(), refused.body());
    assertEquals("too_many_devices", refused.code());
    assertEquals(3, stored(anna, "devices"));

    assertEquals(204, remove(anna, 2).status());
    Api.Response fourth = register(anna, new TestDevice().registration(1));
    assertEquals(201, fourth.status(), fourth.body());
    // id 2 stays unused while fresh ids are left: peers would take it for device 2's key changing
    assertEquals(4, fourth.json().getInteger("deviceId"));
    assertEquals(List.of(1, 3, 4), deviceIds(anna));

    // a removed identity does not come back, and an identity belongs to one device only
    assertEquals(204, remove(anna, 1).status());
    Api.Response comeback = register(anna, first.registration(1));
    assertEquals(409, comeback.status(), comeback.body());
    assertEquals("identity_key_in_use", comeback.code());
    TestDevice second = new TestDevice();
    assertEquals(201, register(anna, second.registration(1)).status());
    Session tom = someone();
    Api.Response copied = register(tom, second.registration(1));
    assertEquals("identity_key_in_use", copied.code(), copied.body());
    assertEquals(0, stored(tom, "devices"));
  }

  @Test
  void removalIsAuditedAndPushedToTheOwnersConnections() {
    Session anna = someone();
    try (TestSocket socket = server.socket(anna)) {
      TestDevice device = new TestDevice();
      Api.Response created = register(anna, device.registration(2).put("name", "Tablet"));
      assertEquals(201, created.status(), created.body());
      JsonObject added = socket.next("device_added");
      assertEquals(created.json(), added.getJsonObject("device"));

      int id = created.json().getInteger("deviceId");
      assertEquals(204, remove(anna, id).status());
      assertEquals(id, socket.next("device_removed").getInteger("deviceId"));
    }
    assertEquals(0, devices(anna).size());
    assertEquals(0, stored(anna, "one_time_prekeys"));
    assertEquals(404, remove(anna, 1).status());
    assertEquals("not_found", remove(anna, 1).code());
    assertEquals("not_found", remove(anna, 128).code());

    JsonArray trail = server.api().get("/api/v1/audit-events", anna.accessToken()).array();
    JsonObject removed = event(trail, "device.removed");
    JsonObject addedEvent = event(trail, "device.added");
    assertEquals("user", removed.getString("objectType"));
    assertEquals(anna.userId().toString(), removed.getString("objectId"));
    assertEquals("1", String.valueOf(removed.getJsonObject("details").getValue("deviceId")));
    assertEquals("success", addedEvent.getString("outcome"));
  }

  static JsonObject event(JsonArray trail, String action) {
    for (int i = 0; i < trail.size(); i++) {
      if (action.equals(trail.getJsonObject(i).getString("action"))) {
        return trail.getJsonObject(i);
      }
    }
    throw new AssertionError("no " + action + " in " + trail.encodePrettily());
  }

  @Test
  void uploadsReplaceTheStockAndABadKeyLeavesItAsItWas() {
    Session anna = someone();
    TestDevice device = new TestDevice();
    int id = register(anna, device.registration(4)).json().getInteger("deviceId");

    JsonObject refill =
        new JsonObject().put("preKeys", device.preKeys(7)).put("pqPreKeys", device.pqPreKeys(6));
    Api.Response uploaded = upload(anna, id, refill);
    assertEquals(200, uploaded.status(), uploaded.body());
    assertEquals(7, uploaded.json().getInteger("preKeys"));
    assertEquals(6, uploaded.json().getInteger("pqPreKeys"));

    JsonObject rotated = device.signedPreKey();
    uploaded = upload(anna, id, new JsonObject().put("signedPreKey", rotated));
    assertEquals(rotated.getInteger("keyId"), uploaded.json().getInteger("signedPreKeyId"));
    assertEquals(7, uploaded.json().getInteger("preKeys"));

    // a bad signature in the middle of a batch: the stock and the signed prekey stay as they were
    JsonArray batch = device.pqPreKeys(10);
    batch.getJsonObject(5).put("signature", batch.getJsonObject(4).getString("signature"));
    Api.Response refused =
        upload(
            anna,
            id,
            new JsonObject()
                .put("signedPreKey", device.signedPreKey())
                .put("preKeys", device.preKeys(3))
                .put("pqPreKeys", batch));
    assertEquals("invalid_signature", refused.code(), refused.body());
    assertEquals(uploaded.json(), devices(anna).getJsonObject(0));
    assertEquals(13, stored(anna, "one_time_prekeys"));

    assertEquals("validation_failed", upload(anna, id, new JsonObject()).code());
    assertEquals("not_found", upload(anna, 9, refill).code());
    Session tom = someone();
    assertEquals("not_found", upload(tom, id, refill).code());
  }

  @Test
  void nobodyButTheOwnerRemovesADevice() {
    TestOrg practice = server.organisation("practice");
    Session anna = server.login(practice.admin());
    int id = register(anna, new TestDevice().registration(2)).json().getInteger("deviceId");
    // device ids count per user: another user's same id names their own (missing) device
    Session colleague = server.login(server.user(practice));
    Session stranger = someone();
    for (Session other : List.of(colleague, stranger)) {
      Api.Response refused = remove(other, id);
      assertEquals(404, refused.status(), refused.body());
      assertEquals("not_found", refused.code());
    }
    assertEquals(List.of(id), deviceIds(anna), "Anna's device is still there");
    assertEquals(1, stored(anna, "devices"));
  }

  @Test
  void theDatabaseKeepsADevicesIdentityFixed() throws SQLException {
    Session anna = someone();
    TestDevice device = new TestDevice();
    assertEquals(201, register(anna, device.registration(1)).status());
    DatabaseSettings app = DatabaseSettings.fromUrl(server.env("KONSIL_DATABASE_URL"));
    try (Connection db = DriverManager.getConnection(app.jdbcUrl(), app.user(), app.password())) {
      String mine = " WHERE user_id = '" + anna.userId() + "'";
      SQLException swapped =
          assertThrows(
              SQLException.class,
              () ->
                  db.createStatement()
                      .executeUpdate("UPDATE devices SET identity_key = signed_prekey" + mine));
      assertTrue(swapped.getMessage().contains("identity cannot change"), swapped.getMessage());
      SQLException deleted =
          assertThrows(
              SQLException.class,
              () -> db.createStatement().executeUpdate("DELETE FROM devices" + mine));
      assertTrue(deleted.getMessage().contains("permission denied"), deleted.getMessage());
      db.createStatement().executeUpdate("UPDATE devices SET removed_at = now()" + mine);
      SQLException revived =
          assertThrows(
              SQLException.class,
              () ->
                  db.createStatement()
                      .executeUpdate("UPDATE devices SET removed_at = NULL" + mine));
      assertTrue(revived.getMessage().contains("identity cannot change"), revived.getMessage());
    }
    assertNotEquals(0, stored(anna, "devices"));
  }

  static Api.Response remove(Session session, int deviceId) {
    return server
        .api()
        .send(HttpMethod.DELETE, "/api/v1/devices/" + deviceId, session.accessToken(), null, null);
  }

  static Api.Response upload(Session session, int deviceId, JsonObject keys) {
    return server.api().put("/api/v1/devices/" + deviceId + "/keys", keys, session.accessToken());
  }

  static List<Integer> deviceIds(Session session) {
    JsonArray list = devices(session);
    List<Integer> ids = new java.util.ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      ids.add(list.getJsonObject(i).getInteger("deviceId"));
    }
    return ids;
  }
}
