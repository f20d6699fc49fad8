package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.konsil.server.devices.TestDevice;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;

/**
 * One end-to-end device of a logged-in user, as a client runs it: real libsignal keys registered
 * with the server, sessions built from fetched prekey bundles, envelopes sealed for other devices
 * and opened from the frames the server pushes.
 */
final class E2eDevice {

  final KonsilServer server;
  final Session session;
  final TestDevice keys = new TestDevice();
  final int deviceId;

  private E2eDevice(KonsilServer server, Session session) {
    this.server = server;
    this.session = session;
    Api.Response created =
        server.api().post("/api/v1/devices", keys.registration(20), session.accessToken());
    assertEquals(201, created.status(), created.body());
    this.deviceId = created.json().getInteger("deviceId");
  }

  /** Registers a new device of the session's user. */
  static E2eDevice register(KonsilServer server, Session session) {
    return new E2eDevice(server, session);
  }

  UUID userId() {
    return session.userId();
  }

  SignalProtocolAddress address() {
    return new SignalProtocolAddress(userId().toString(), deviceId);
  }

  /** One envelope of the plaintext for each recipient device, building sessions as needed. */
  JsonArray seal(String plaintext, List<E2eDevice> recipients) {
    JsonArray envelopes = new JsonArray();
    for (E2eDevice recipient : recipients) {
      envelopes.add(sealFor(plaintext, recipient.userId(), recipient.deviceId));
    }
    return envelopes;
  }

  /** An envelope for one device by its address, fetching the user's bundles for a first message. */
  JsonObject sealFor(String plaintext, UUID user, int device) {
    SignalProtocolAddress to = new SignalProtocolAddress(user.toString(), device);
    try {
      if (!keys.store.containsSession(to)) {
        Api.Response bundles =
            server.api().get("/api/v1/users/" + user + "/prekey-bundles", session.accessToken());
        assertEquals(200, bundles.status(), bundles.body());
        for (Object item : bundles.json().getJsonArray("devices")) {
          JsonObject bundle = (JsonObject) item;
          if (bundle.getInteger("deviceId") == device) {
            new SessionBuilder(keys.store, to).process(TestDevice.bundle(bundle));
          }
        }
      }
      CiphertextMessage sealed =
          new SessionCipher(keys.store, to).encrypt(plaintext.getBytes(StandardCharsets.UTF_8));
      return new JsonObject()
          .put("userId", user.toString())
          .put("deviceId", device)
          .put("type", sealed.getType())
          .put("ciphertext", TestDevice.base64(sealed.serialize()));
    } catch (Exception e) {
      throw new AssertionError("sealing for " + to + " failed", e);
    }
  }

  /** The plaintext of a pushed or read encrypted message's envelope for this device. */
  String open(JsonObject message) {
    JsonObject envelope = message.getJsonObject("envelope");
    if (envelope == null) {
      throw new AssertionError("no envelope for device " + deviceId + ": " + message.encode());
    }
    JsonObject sender = message.getJsonObject("sender");
    SignalProtocolAddress from =
        new SignalProtocolAddress(sender.getString("id"), message.getInteger("senderDevice"));
    byte[] ciphertext = TestDevice.bytes(envelope.getString("ciphertext"));
    try {
      SessionCipher cipher = new SessionCipher(keys.store, from);
      byte[] plain =
          envelope.getInteger("type") == CiphertextMessage.PREKEY_TYPE
              ? cipher.decrypt(new PreKeySignalMessage(ciphertext))
              : cipher.decrypt(new SignalMessage(ciphertext));
      return new String(plain, StandardCharsets.UTF_8);
    } catch (Exception e) {
      throw new AssertionError(
          "device " + deviceId + " of " + userId() + " could not open " + message.encode(), e);
    }
  }

  /** A socket that speaks for this device, after its ready frame. */
  TestSocket socket() {
    String ticket =
        server
            .api()
            .post("/api/v1/ws-tickets", null, session.accessToken())
            .json()
            .getString("ticket");
    TestSocket socket =
        TestSocket.connect(
            server.clientVertx(),
            server.port(),
            "/api/v1/ws?ticket=" + ticket + "&device=" + deviceId);
    JsonObject ready = socket.next("ready");
    assertEquals(deviceId, ready.getInteger("device"));
    return socket;
  }

  /** Sends envelopes over REST from this device. */
  Api.Response send(UUID room, UUID clientMsgId, JsonArray envelopes) {
    return server
        .api()
        .post(
            "/api/v1/rooms/" + room + "/messages",
            new JsonObject()
                .put("clientMsgId", clientMsgId.toString())
                .put("device", deviceId)
                .put("envelopes", envelopes),
            session.accessToken());
  }

  /** The room's history as this device reads it. */
  JsonArray history(UUID room, long after) {
    Api.Response page =
        server
            .api()
            .get(
                "/api/v1/rooms/" + room + "/messages?after=" + after + "&device=" + deviceId,
                session.accessToken());
    assertEquals(200, page.status(), page.body());
    return page.json().getJsonArray("messages");
  }
}
