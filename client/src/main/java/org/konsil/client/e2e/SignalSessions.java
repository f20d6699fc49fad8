package org.konsil.client.e2e;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.IdentityKeyChanged;
import org.konsil.client.http.KonsilHttp;
import org.konsil.client.store.ProtocolStore;
import org.signal.libsignal.protocol.DuplicateMessageException;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidKeyIdException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.InvalidVersionException;
import org.signal.libsignal.protocol.LegacyMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.fingerprint.Fingerprint;
import org.signal.libsignal.protocol.fingerprint.NumericFingerprintGenerator;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;

/**
 * Signal-protocol sessions between this device and partners' devices: built from the prekey bundles
 * of the key directory (PQXDH: every bundle carries a Kyber prekey), then {@link #encrypt} and
 * {@link #decrypt} of byte payloads, safety numbers, and the trust decision when a partner device's
 * identity key changes. The transport of ciphertexts is the caller's.
 *
 * <p>May be called from any thread: its steps run on the client's Vert.x context, libsignal and the
 * store off the event loop, one operation at a time.
 */
public final class SignalSessions {

  /** Signal's fingerprint version and iteration count. */
  private static final int FINGERPRINT_VERSION = 2;

  private static final int FINGERPRINT_ITERATIONS = 5200;

  private final Context context;
  private final KonsilHttp http;
  private final ProtocolStore store;
  private final Consumer<ClientEvent> events;

  public SignalSessions(
      Context context, KonsilHttp http, ProtocolStore store, Consumer<ClientEvent> events) {
    this.context = context;
    this.http = http;
    this.store = store;
    this.events = events;
  }

  /** This device's identity key (public), as libsignal serializes it. */
  public byte[] identityKey() {
    return store.getIdentityKeyPair().getPublicKey().serialize();
  }

  /** This device's address (after registration). */
  public DeviceAddress self() {
    return new DeviceAddress(store.userId(), store.deviceId());
  }

  /**
   * Fetches the user's prekey bundles and builds a session with every device this device has none
   * with (a fetch uses up one one-time prekey per device; devices with a session keep it). Answers
   * the user's devices (without this one).
   */
  public Future<List<DeviceAddress>> refreshDevices(UUID userId) {
    return OnContext.run(context, () -> refreshDevicesNow(userId));
  }

  private Future<List<DeviceAddress>> refreshDevicesNow(UUID userId) {
    if (store.deviceId() == 0) {
      return notRegistered();
    }
    return http.json(HttpMethod.GET, "/api/v1/users/" + userId + "/prekey-bundles", null, 200)
        .compose(answer -> context.executeBlocking(() -> process(userId, answer), true))
        .onFailure(this::announce);
  }

  /**
   * Encrypts the payload for every device of the user that this device has a session with (for this
   * device's own user: the other devices), fetching the user's bundles first when there is none.
   * One ciphertext per device.
   */
  public Future<List<Ciphertext>> encrypt(UUID userId, byte[] payload) {
    if (store.deviceId() == 0) {
      return notRegistered();
    }
    return context
        .executeBlocking(() -> devicesWithSession(userId), true)
        .compose(
            devices -> devices.isEmpty() ? refreshDevices(userId) : Future.succeededFuture(devices))
        .compose(
            devices ->
                context.executeBlocking(
                    () -> {
                      List<Ciphertext> ciphertexts = new ArrayList<>();
                      for (DeviceAddress device : devices) {
                        ciphertexts.add(encryptNow(device, payload));
                      }
                      return ciphertexts;
                    },
                    true))
        .onFailure(this::announce);
  }

  /** Encrypts the payload for one device, which must have a session with this device. */
  public Future<Ciphertext> encrypt(DeviceAddress device, byte[] payload) {
    return context
        .executeBlocking(() -> encryptNow(device, payload), true)
        .onFailure(this::announce);
  }

  /**
   * Decrypts a ciphertext from a sender device. A prekey message starts (or restarts) the session
   * with it. Refused ciphertexts ({@link UndecryptableMessageException}: altered, replayed, for an
   * unknown key) leave the session as it was; one from a device whose identity key changed is
   * refused with {@link IdentityKeyChangedException} until the new key is trusted.
   */
  public Future<byte[]> decrypt(DeviceAddress sender, int type, byte[] body) {
    return context
        .executeBlocking(() -> decryptNow(sender, type, body), true)
        .onFailure(this::announce);
  }

  /** Whether this device has a session with the device. */
  public Future<Boolean> hasSession(DeviceAddress device) {
    return context.executeBlocking(() -> store.containsSession(device.signal()), true);
  }

  /**
   * The safety number of this device and the partner device with the identity key this client
   * trusts for it (known from its bundle or its first message).
   */
  public Future<SafetyNumber> safetyNumber(DeviceAddress partner) {
    return context.executeBlocking(
        () -> {
          IdentityKey known = store.getIdentity(partner.signal());
          if (known == null) {
            throw new IllegalStateException(
                "No identity key known for " + partner + "; fetch its bundle first");
          }
          return safetyNumberNow(partner, known);
        },
        true);
  }

  /** The safety number with a given identity key of the partner (e.g. a changed one). */
  public Future<SafetyNumber> safetyNumber(DeviceAddress partner, byte[] identityKey) {
    return context.executeBlocking(
        () -> safetyNumberNow(partner, new IdentityKey(identityKey)), true);
  }

  /**
   * Trusts a partner device's new identity key (after the user compared the safety number made with
   * it); the session built with the old key is dropped, and the next {@link #encrypt} builds one
   * from a fresh bundle.
   */
  public Future<Void> trust(DeviceAddress partner, byte[] identityKey) {
    return context.executeBlocking(
        () -> {
          store.trust(partner.signal(), new IdentityKey(identityKey));
          return null;
        },
        true);
  }

  // ---- blocking parts ----

  private List<DeviceAddress> devicesWithSession(UUID userId) {
    List<DeviceAddress> devices = new ArrayList<>();
    for (int deviceId : store.sessionDevices(userId.toString())) {
      DeviceAddress device = new DeviceAddress(userId, deviceId);
      if (!device.equals(self()) && store.containsSession(device.signal())) {
        devices.add(device);
      }
    }
    return devices;
  }

  private List<DeviceAddress> process(UUID userId, JsonObject answer) {
    List<DeviceAddress> devices = new ArrayList<>();
    JsonArray bundles = answer.getJsonArray("devices");
    for (int i = 0; i < bundles.size(); i++) {
      JsonObject json = bundles.getJsonObject(i);
      DeviceAddress device = new DeviceAddress(userId, json.getInteger("deviceId"));
      if (device.equals(self())) {
        continue;
      }
      PreKeyBundle bundle = bundle(device, json);
      IdentityKey known = store.getIdentity(device.signal());
      if (known != null && !known.equals(bundle.getIdentityKey())) {
        throw new IdentityKeyChangedException(device, known, bundle.getIdentityKey());
      }
      if (!store.containsSession(device.signal())) {
        try {
          new SessionBuilder(store, device.signal()).process(bundle);
        } catch (InvalidKeyException e) {
          throw new KeyDirectoryException(
              "The key directory's bundle for " + device + " does not verify", e);
        } catch (UntrustedIdentityException e) {
          throw new IdentityKeyChangedException(
              device, store.getIdentity(device.signal()), bundle.getIdentityKey());
        }
      }
      devices.add(device);
    }
    return devices;
  }

  private Ciphertext encryptNow(DeviceAddress device, byte[] payload) {
    try {
      CiphertextMessage message = new SessionCipher(store, device.signal()).encrypt(payload);
      return new Ciphertext(device, message.getType(), message.serialize());
    } catch (NoSessionException e) {
      throw new IllegalStateException("No session with " + device + "; fetch its bundle first", e);
    } catch (UntrustedIdentityException e) {
      throw new IdentityKeyChangedException(
          device, store.getIdentity(device.signal()), e.getUntrustedIdentity());
    }
  }

  private byte[] decryptNow(DeviceAddress sender, int type, byte[] body) {
    SessionCipher cipher = new SessionCipher(store, sender.signal());
    IdentityKey claimed = null;
    try {
      if (type == Ciphertext.PREKEY) {
        PreKeySignalMessage message = new PreKeySignalMessage(body);
        claimed = message.getIdentityKey();
        return cipher.decrypt(message);
      } else if (type == Ciphertext.WHISPER) {
        return cipher.decrypt(new SignalMessage(body));
      }
      throw refused(
          UndecryptableMessageException.Reason.INVALID,
          sender,
          "unknown message type " + type,
          null);
    } catch (UntrustedIdentityException e) {
      throw new IdentityKeyChangedException(
          sender,
          store.getIdentity(sender.signal()),
          claimed != null ? claimed : e.getUntrustedIdentity());
    } catch (DuplicateMessageException e) {
      throw refused(UndecryptableMessageException.Reason.DUPLICATE, sender, "a replay", e);
    } catch (InvalidKeyIdException e) {
      throw refused(UndecryptableMessageException.Reason.UNKNOWN_PREKEY, sender, "unknown key", e);
    } catch (NoSessionException e) {
      throw refused(UndecryptableMessageException.Reason.NO_SESSION, sender, "no session", e);
    } catch (org.signal.libsignal.protocol.ReusedBaseKeyException e) {
      throw refused(UndecryptableMessageException.Reason.DUPLICATE, sender, "a replay", e);
    } catch (InvalidMessageException
        | InvalidVersionException
        | InvalidKeyException
        | LegacyMessageException e) {
      throw refused(UndecryptableMessageException.Reason.INVALID, sender, "not authentic", e);
    }
  }

  private SafetyNumber safetyNumberNow(DeviceAddress partner, IdentityKey partnerKey) {
    Fingerprint fingerprint =
        new NumericFingerprintGenerator(FINGERPRINT_ITERATIONS)
            .createFor(
                FINGERPRINT_VERSION,
                self().toString().getBytes(StandardCharsets.UTF_8),
                store.getIdentityKeyPair().getPublicKey(),
                partner.toString().getBytes(StandardCharsets.UTF_8),
                partnerKey);
    return new SafetyNumber(
        fingerprint.getDisplayableFingerprint().getDisplayText(),
        fingerprint.getScannableFingerprint().getSerialized());
  }

  private static UndecryptableMessageException refused(
      UndecryptableMessageException.Reason reason,
      DeviceAddress sender,
      String what,
      Throwable cause) {
    return new UndecryptableMessageException(
        reason, sender, "A message from " + sender + " was refused: " + what, cause);
  }

  /** Tells the integrator about a changed identity key (on the client's context). */
  private void announce(Throwable failure) {
    if (failure instanceof IdentityKeyChangedException changed) {
      events.accept(
          new IdentityKeyChanged(
              changed.device().userId(),
              changed.device().deviceId(),
              changed.previousKey() == null ? null : changed.previousKey().serialize(),
              changed.newKey() == null ? null : changed.newKey().serialize()));
    }
  }

  private static PreKeyBundle bundle(DeviceAddress device, JsonObject json) {
    try {
      JsonObject signed = json.getJsonObject("signedPreKey");
      JsonObject preKey = json.getJsonObject("preKey");
      JsonObject pq = json.getJsonObject("pqPreKey");
      return new PreKeyBundle(
          json.getInteger("registrationId"),
          device.deviceId(),
          preKey == null ? PreKeyBundle.NULL_PRE_KEY_ID : preKey.getInteger("keyId"),
          preKey == null ? null : new ECPublicKey(bytes(preKey.getString("publicKey"))),
          signed.getInteger("keyId"),
          new ECPublicKey(bytes(signed.getString("publicKey"))),
          bytes(signed.getString("signature")),
          new IdentityKey(bytes(json.getString("identityKey"))),
          pq.getInteger("keyId"),
          new KEMPublicKey(bytes(pq.getString("publicKey"))),
          bytes(pq.getString("signature")));
    } catch (InvalidKeyException | RuntimeException e) {
      throw new KeyDirectoryException(
          "The key directory's bundle for " + device + " cannot be read", e);
    }
  }

  private static byte[] bytes(String base64) {
    return Base64.getDecoder().decode(base64);
  }

  private static <T> Future<T> notRegistered() {
    return Future.failedFuture(new IllegalStateException("Register the device first"));
  }
}
