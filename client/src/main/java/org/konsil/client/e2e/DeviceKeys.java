package org.konsil.client.e2e;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.PrekeysLow;
import org.konsil.client.event.PrekeysReplenished;
import org.konsil.client.event.SignedPrekeyRotated;
import org.konsil.client.http.KonsilHttp;
import org.konsil.client.store.ProtocolStore;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;

/**
 * This client's device in the key directory: registers it with its identity key and first prekeys,
 * uploads a new batch of one-time prekeys when the directory runs low, and rotates the signed
 * prekeys. Private halves go into the {@link ProtocolStore} before the public halves are uploaded.
 *
 * <p>May be called from any thread: its steps run on the client's Vert.x context, key generation
 * and the store off the event loop.
 */
public final class DeviceKeys {

  private static final int MAX_ONE_TIME_BATCHES = 4;

  private final Context context;
  private final KonsilHttp http;
  private final ProtocolStore store;
  private final KeySettings settings;
  private final Clock clock;
  private final Consumer<ClientEvent> events;
  private Future<Stock> replenishing;

  /** How many one-time prekeys of each kind the directory holds for the device. */
  public record Stock(int deviceId, long preKeys, long pqPreKeys) {}

  public DeviceKeys(
      Context context,
      KonsilHttp http,
      ProtocolStore store,
      KeySettings settings,
      Clock clock,
      Consumer<ClientEvent> events) {
    this.context = context;
    this.http = http;
    this.store = store;
    this.settings = settings;
    this.clock = clock;
    this.events = events;
  }

  /** The device id, or 0 while the device is not registered. */
  public int deviceId() {
    return store.deviceId();
  }

  /**
   * Registers the device (identity key, signed EC and Kyber prekeys, a batch of one-time prekeys)
   * unless it is registered already; answers its device id. A retry after a lost answer finds the
   * device the first attempt made.
   */
  public Future<Integer> register(String name) {
    return OnContext.run(context, () -> registerNow(name));
  }

  private Future<Integer> registerNow(String name) {
    if (store.deviceId() != 0) {
      return Future.succeededFuture(store.deviceId());
    }
    return context
        .executeBlocking(
            () -> {
              JsonObject body = signedKeys().mergeIn(oneTimeKeys());
              body.put("registrationId", store.getLocalRegistrationId())
                  .put(
                      "identityKey", base64(store.getIdentityKeyPair().getPublicKey().serialize()));
              if (name != null) {
                body.put("name", name);
              }
              return body;
            },
            true)
        .compose(
            body ->
                http.json(HttpMethod.POST, "/api/v1/devices", body, 200, 201)
                    .compose(
                        device -> {
                          int deviceId = device.getInteger("deviceId");
                          Future<JsonObject> keys =
                              device.getInteger("signedPreKeyId")
                                      == body.getJsonObject("signedPreKey").getInteger("keyId")
                                  ? Future.succeededFuture(device)
                                  // a repeated registration keeps the first attempt's keys:
                                  // upload the ones this attempt stored
                                  : uploadKeys(deviceId, keysOnly(body));
                          return keys.compose(
                              done ->
                                  context.executeBlocking(
                                      () -> {
                                        store.deviceId(deviceId);
                                        return deviceId;
                                      },
                                      true));
                        }));
  }

  /**
   * Uploads a new batch of one-time prekeys of both kinds (it replaces the directory's stock).
   * Calls while one is under way share it.
   */
  public Future<Stock> replenish() {
    return OnContext.run(context, this::replenishNow);
  }

  private Future<Stock> replenishNow() {
    if (replenishing != null) {
      return replenishing;
    }
    int deviceId = store.deviceId();
    if (deviceId == 0) {
      return notRegistered();
    }
    replenishing =
        context
            .executeBlocking(this::oneTimeKeys, true)
            .compose(body -> uploadKeys(deviceId, body))
            .map(
                device -> {
                  Stock stock = stock(device);
                  events.accept(
                      new PrekeysReplenished(deviceId, stock.preKeys(), stock.pqPreKeys()));
                  return stock;
                })
            .andThen(done -> replenishing = null);
    return replenishing;
  }

  /** Replaces the signed EC prekey and the Kyber last-resort prekey with new ones. */
  public Future<Void> rotateSignedPreKey() {
    int deviceId = store.deviceId();
    if (deviceId == 0) {
      return notRegistered();
    }
    return context
        .executeBlocking(this::signedKeys, true)
        .compose(body -> uploadKeys(deviceId, body))
        .map(
            device -> {
              events.accept(
                  new SignedPrekeyRotated(
                      deviceId,
                      device.getInteger("signedPreKeyId"),
                      device.getInteger("pqLastResortPreKeyId")));
              return null;
            });
  }

  /** The directory's stock for this device ({@code GET /api/v1/devices}). */
  public Future<Stock> stock() {
    return OnContext.run(context, this::stockNow);
  }

  private Future<Stock> stockNow() {
    int deviceId = store.deviceId();
    if (deviceId == 0) {
      return notRegistered();
    }
    return http.array(HttpMethod.GET, "/api/v1/devices", 200)
        .map(
            devices -> {
              for (int i = 0; i < devices.size(); i++) {
                JsonObject device = devices.getJsonObject(i);
                if (device.getInteger("deviceId") == deviceId) {
                  return stock(device);
                }
              }
              throw new IllegalStateException(
                  "Device " + deviceId + " is no longer registered; it was removed");
            });
  }

  /**
   * Keeps the device's keys fresh: a new batch of one-time prekeys when the directory runs low (a
   * {@code prekeys_low} frame reaches only connected clients), new signed prekeys when the current
   * ones are older than {@link KeySettings#rotateAfter}. The client runs it at every connect.
   */
  public Future<Void> maintain() {
    return OnContext.run(
        context,
        () -> {
          if (store.deviceId() == 0) {
            return Future.succeededFuture();
          }
          return replenishIfLow()
              .compose(
                  stock ->
                      context.executeBlocking(
                          () ->
                              clock.millis()
                                  - store
                                      .loadSignedPreKey(store.currentSignedPreKeyId())
                                      .getTimestamp(),
                          true))
              .compose(
                  age ->
                      age >= settings.rotateAfter().toMillis()
                          ? rotateSignedPreKey()
                          : Future.succeededFuture());
        });
  }

  /** Replenishes when the directory holds fewer one-time prekeys than the low-water mark. */
  public Future<Stock> replenishIfLow() {
    return stock()
        .compose(
            stock ->
                stock.preKeys() < settings.lowWater() || stock.pqPreKeys() < settings.lowWater()
                    ? replenish()
                    : Future.succeededFuture(stock));
  }

  /** Reacts to the server's {@code prekeys_low} frame for this device. */
  public Future<Stock> onPrekeysLow(PrekeysLow low) {
    if (store.deviceId() == 0 || low.deviceId() != store.deviceId()) {
      return Future.succeededFuture();
    }
    return replenish();
  }

  private Future<JsonObject> uploadKeys(int deviceId, JsonObject keys) {
    return http.json(HttpMethod.PUT, "/api/v1/devices/" + deviceId + "/keys", keys, 200);
  }

  private static <T> Future<T> notRegistered() {
    return Future.failedFuture(new IllegalStateException("Register the device first"));
  }

  /** New signed prekeys, stored, as the upload's fields (blocking). */
  private JsonObject signedKeys() {
    IdentityKeyPair identity = store.getIdentityKeyPair();
    long now = clock.millis();
    int first = store.reserveKeyIds(2);
    ECKeyPair ec = ECKeyPair.generate();
    SignedPreKeyRecord signed =
        new SignedPreKeyRecord(
            first,
            now,
            ec,
            identity.getPrivateKey().calculateSignature(ec.getPublicKey().serialize()));
    KEMKeyPair kem = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
    KyberPreKeyRecord lastResort =
        new KyberPreKeyRecord(
            first + 1,
            now,
            kem,
            identity.getPrivateKey().calculateSignature(kem.getPublicKey().serialize()));
    store.storeCurrentSignedPreKeys(signed, lastResort, settings.signedKeysKept());
    return new JsonObject()
        .put(
            "signedPreKey",
            signed(signed.getId(), ec.getPublicKey().serialize(), signed.getSignature()))
        .put(
            "pqLastResortPreKey",
            signed(lastResort.getId(), kem.getPublicKey().serialize(), lastResort.getSignature()));
  }

  /** A new batch of one-time prekeys of both kinds, stored, as the upload's fields (blocking). */
  private JsonObject oneTimeKeys() {
    IdentityKeyPair identity = store.getIdentityKeyPair();
    long now = clock.millis();
    int first = store.reserveKeyIds(2 * settings.batch());
    List<PreKeyRecord> ecKeys = new ArrayList<>();
    List<KyberPreKeyRecord> kyberKeys = new ArrayList<>();
    JsonArray preKeys = new JsonArray();
    JsonArray pqPreKeys = new JsonArray();
    for (int i = 0; i < settings.batch(); i++) {
      int ecId = first + 2 * i;
      ECKeyPair ec = ECKeyPair.generate();
      ecKeys.add(new PreKeyRecord(ecId, ec));
      preKeys.add(
          new JsonObject()
              .put("keyId", ecId)
              .put("publicKey", base64(ec.getPublicKey().serialize())));
      int kyberId = ecId + 1;
      KEMKeyPair kem = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
      byte[] signature =
          identity.getPrivateKey().calculateSignature(kem.getPublicKey().serialize());
      kyberKeys.add(new KyberPreKeyRecord(kyberId, now, kem, signature));
      pqPreKeys.add(signed(kyberId, kem.getPublicKey().serialize(), signature));
    }
    store.storeOneTimePreKeys(
        ecKeys,
        kyberKeys,
        now - settings.keepUnused().toMillis(),
        MAX_ONE_TIME_BATCHES * settings.batch());
    return new JsonObject().put("preKeys", preKeys).put("pqPreKeys", pqPreKeys);
  }

  private static JsonObject keysOnly(JsonObject registration) {
    JsonObject keys = new JsonObject();
    for (String field : List.of("signedPreKey", "pqLastResortPreKey", "preKeys", "pqPreKeys")) {
      keys.put(field, registration.getValue(field));
    }
    return keys;
  }

  private static Stock stock(JsonObject device) {
    return new Stock(
        device.getInteger("deviceId"), device.getLong("preKeys"), device.getLong("pqPreKeys"));
  }

  private static JsonObject signed(int keyId, byte[] publicKey, byte[] signature) {
    return new JsonObject()
        .put("keyId", keyId)
        .put("publicKey", base64(publicKey))
        .put("signature", base64(signature));
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
