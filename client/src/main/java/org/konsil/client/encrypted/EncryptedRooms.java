package org.konsil.client.encrypted;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.konsil.client.e2e.DeviceAddress;
import org.konsil.client.e2e.IdentityKeyChangedException;
import org.konsil.client.e2e.OnContext;
import org.konsil.client.e2e.SignalSessions;
import org.konsil.client.e2e.UndecryptableMessageException;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomDevicesChanged;
import org.konsil.client.event.RoomHistoryWiped;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.event.UndecryptableMessage;
import org.konsil.client.http.Account;
import org.konsil.client.http.KonsilApiException;
import org.konsil.client.http.KonsilHttp;
import org.konsil.client.live.Ack;
import org.konsil.client.live.Frames;
import org.konsil.client.live.SendRefusedException;
import org.konsil.client.store.ProtocolStore;

/**
 * The transport of end-to-end encrypted rooms (docs/e2e.md, "Per-device delivery"): a send asks the
 * room's devices, builds sessions with those it has none with, encrypts one envelope per device and
 * stores the message with its {@code clientMsgId}; a refusal with {@code devices_changed} corrects
 * the device list and sends again with the same id. Incoming envelopes are decrypted in order and
 * kept in the local message store; a revocation wipes the room's plaintext there (but for the
 * patient's own organisation).
 *
 * <p>The plaintext inside every envelope is a JSON object: {@code {"v": 1, "room": "<roomId>",
 * "clientMsgId": "<id>", "text": "…", "file": {…}}} (text, file or both); a message whose {@code
 * room} is not the room it came in is refused, so the server cannot move it to another room.
 *
 * <p>Not thread-safe on its own: {@code KonsilClient} calls it on its context.
 */
public final class EncryptedRooms {

  /** Sends with a corrected device list after {@code devices_changed}, at most. */
  static final int MAX_ROUNDS = 4;

  /** Sends again after a network failure or an overloaded server, at most. */
  static final int MAX_RETRIES = 5;

  static final int MAX_TEXT = 16_000;

  /**
   * The client's own refusal code: no device of the room (but this one) has keys, so nobody could
   * read the message; nothing is sent.
   */
  public static final String NO_RECIPIENT_DEVICES = "no_recipient_devices";

  private final Vertx vertx;
  private final Context context;
  private final KonsilHttp http;
  private final SignalSessions sessions;
  private final ProtocolStore store;
  private final Consumer<ClientEvent> events;
  private final Map<UUID, Set<DeviceAddress>> roomDevices = new HashMap<>();
  private final Map<UUID, Future<?>> roomTails = new HashMap<>();
  private final Map<UUID, JsonObject> pendingOwn = new HashMap<>();

  public EncryptedRooms(
      Vertx vertx,
      Context context,
      KonsilHttp http,
      SignalSessions sessions,
      ProtocolStore store,
      Consumer<ClientEvent> events) {
    this.vertx = vertx;
    this.context = context;
    this.http = http;
    this.sessions = sessions;
    this.store = store;
    this.events = events;
  }

  // ---- sending ----

  /** Sends a text into an encrypted room with a new {@code clientMsgId}. */
  public Future<Ack> send(UUID room, String text) {
    return send(room, text, UUID.randomUUID());
  }

  /**
   * Sends a text into an encrypted room; the same {@code clientMsgId} again (also after a restart)
   * stores the message once and answers its first acknowledgement. Sends into one room go out in
   * the order they were made.
   */
  public Future<Ack> send(UUID room, String text, UUID clientMsgId) {
    return OnContext.run(
        context,
        () -> {
          String problem = textProblem(text);
          if (problem != null) {
            return Future.failedFuture(new IllegalArgumentException(problem));
          }
          return enqueue(
              room, clientMsgId, () -> Future.succeededFuture(payload(room, clientMsgId, text)));
        });
  }

  /**
   * Encrypts a file with a fresh AES-256-GCM key, uploads the ciphertext and sends a message that
   * carries the key, the plaintext's digest, the name and the media type (and the caption, if any).
   */
  public Future<Ack> sendFile(
      UUID room, String fileName, String mediaType, byte[] content, String caption) {
    return sendFile(room, fileName, mediaType, content, caption, UUID.randomUUID());
  }

  public Future<Ack> sendFile(
      UUID room,
      String fileName,
      String mediaType,
      byte[] content,
      String caption,
      UUID clientMsgId) {
    return OnContext.run(
        context,
        () -> {
          if (content == null || content.length == 0) {
            return Future.failedFuture(new IllegalArgumentException("The file is empty."));
          }
          if (caption != null && textProblem(caption) != null) {
            return Future.failedFuture(new IllegalArgumentException(textProblem(caption)));
          }
          return enqueue(
              room,
              clientMsgId,
              () ->
                  context
                      .executeBlocking(() -> FileCrypto.seal(content), false)
                      .compose(
                          encrypted ->
                              http.upload(
                                      "/api/v1/rooms/" + room + "/encrypted-attachments",
                                      Buffer.buffer(encrypted.bytes()),
                                      201)
                                  .map(
                                      answer ->
                                          new EncryptedFile(
                                              UUID.fromString(answer.getString("attachmentId")),
                                              encrypted.key(),
                                              encrypted.sha256(),
                                              fileName,
                                              mediaType == null
                                                  ? "application/octet-stream"
                                                  : mediaType,
                                              content.length)))
                      .map(file -> payload(room, clientMsgId, caption).put("file", file.toJson())));
        });
  }

  /**
   * Downloads the encrypted file a message named, checks it and answers its plaintext; an altered
   * file, or one whose digest or size is not the message's, is refused ({@link
   * FileRefusedException}).
   */
  public Future<byte[]> download(EncryptedFile file) {
    return OnContext.run(
        context,
        () ->
            http.download("/api/v1/attachments/" + file.attachmentId())
                .compose(
                    bytes ->
                        context.executeBlocking(
                            () -> FileCrypto.open(file, bytes.getBytes()), false)));
  }

  private Future<Ack> enqueue(
      UUID room, UUID clientMsgId, Supplier<Future<JsonObject>> makePayload) {
    Future<?> previous = roomTails.getOrDefault(room, Future.succeededFuture());
    Future<Ack> sent =
        previous
            .transform(done -> makePayload.get())
            .compose(
                payload -> {
                  pendingOwn.put(clientMsgId, payload);
                  return attempt(room, clientMsgId, payload, 1, 0)
                      .compose(
                          ack ->
                              context
                                  .executeBlocking(
                                      () -> {
                                        store
                                            .messages()
                                            .put(room, ack.seq(), own(room, ack, payload));
                                        return ack;
                                      },
                                      true)
                                  .andThen(stored -> pendingOwn.remove(clientMsgId)))
                      .onFailure(failure -> pendingOwn.remove(clientMsgId));
                });
    roomTails.put(room, sent);
    sent.onComplete(
        done -> {
          if (roomTails.get(room) == sent) {
            roomTails.remove(room);
          }
        });
    return sent;
  }

  private Future<Ack> attempt(
      UUID room, UUID clientMsgId, JsonObject payload, int round, int retry) {
    // padded, so the envelopes' sizes tell the server little of the text's length
    byte[] plain = Padding.message(payload.encode().getBytes(StandardCharsets.UTF_8));
    return devices(room)
        .compose(this::withSessions)
        .compose(
            devices -> {
              if (devices.isEmpty()) {
                // the list may be old: ask the server once more before giving up
                roomDevices.remove(room);
                return round == 1
                    ? devices(room).compose(this::withSessions)
                    : Future.succeededFuture(devices);
              }
              return Future.succeededFuture(devices);
            })
        .compose(
            devices ->
                devices.isEmpty()
                    ? Future.failedFuture(
                        new SendRefusedException(
                            NO_RECIPIENT_DEVICES,
                            "No other device in the room can read the message yet: its members"
                                + " have no registered devices."))
                    : encryptAll(new ArrayList<>(devices), plain, 0, new JsonArray()))
        .compose(
            envelopes ->
                http.json(
                    HttpMethod.POST,
                    "/api/v1/rooms/" + room + "/messages",
                    new JsonObject()
                        .put("clientMsgId", clientMsgId.toString())
                        .put("device", sessions.self().deviceId())
                        .put("envelopes", envelopes),
                    201,
                    200))
        .map(Frames::ack)
        .recover(
            failure -> {
              if (failure instanceof KonsilApiException refused) {
                if ("devices_changed".equals(refused.code()) && round < MAX_ROUNDS) {
                  correct(room, refused.problem());
                  return attempt(room, clientMsgId, payload, round + 1, retry);
                }
                if ((refused.status() == 503 || refused.status() == 429) && retry < MAX_RETRIES) {
                  long pause = Math.max(refused.retryAfterSeconds() * 1000, 250L << retry);
                  return pause(pause)
                      .compose(v -> attempt(room, clientMsgId, payload, round, retry + 1));
                }
                return Future.failedFuture(
                    new SendRefusedException(refused.code(), refused.getMessage()));
              }
              if (transientFailure(failure) && retry < MAX_RETRIES) {
                return pause(250L << retry)
                    .compose(v -> attempt(room, clientMsgId, payload, round, retry + 1));
              }
              return Future.failedFuture(failure);
            });
  }

  /** The room's devices but this one: known from an earlier send, else asked of the server. */
  private Future<Set<DeviceAddress>> devices(UUID room) {
    Set<DeviceAddress> known = roomDevices.get(room);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return http.array(HttpMethod.GET, "/api/v1/rooms/" + room + "/devices", 200)
        .map(
            list -> {
              Set<DeviceAddress> devices = addresses(list);
              devices.remove(sessions.self());
              roomDevices.put(room, devices);
              return devices;
            });
  }

  private void correct(UUID room, JsonObject problem) {
    Set<DeviceAddress> missing = addresses(problem.getJsonArray("missing", new JsonArray()));
    Set<DeviceAddress> extra = addresses(problem.getJsonArray("extra", new JsonArray()));
    Set<DeviceAddress> devices = roomDevices.computeIfAbsent(room, id -> new LinkedHashSet<>());
    devices.addAll(missing);
    devices.removeAll(extra);
    devices.remove(sessions.self());
    events.accept(new RoomDevicesChanged(room, List.copyOf(missing), List.copyOf(extra)));
  }

  /**
   * Builds sessions with the devices that have none (one bundle fetch per user) and answers the
   * devices that have one; a device whose bundle the directory does not hand out is left out (the
   * server then names it, and the next round tries again).
   */
  private Future<Set<DeviceAddress>> withSessions(Set<DeviceAddress> devices) {
    return context
        .executeBlocking(
            () -> {
              Set<UUID> lacking = new LinkedHashSet<>();
              for (DeviceAddress device : devices) {
                if (!store.containsSession(device.signal())) {
                  lacking.add(device.userId());
                }
              }
              return lacking;
            },
            true)
        .compose(lacking -> refresh(new ArrayList<>(lacking), 0))
        .compose(
            v ->
                context.executeBlocking(
                    () -> {
                      Set<DeviceAddress> ready = new LinkedHashSet<>();
                      for (DeviceAddress device : devices) {
                        if (store.containsSession(device.signal())) {
                          ready.add(device);
                        }
                      }
                      return ready;
                    },
                    true));
  }

  private Future<Void> refresh(List<UUID> users, int index) {
    if (index == users.size()) {
      return Future.succeededFuture();
    }
    return sessions.refreshDevices(users.get(index)).compose(devices -> refresh(users, index + 1));
  }

  private Future<JsonArray> encryptAll(
      List<DeviceAddress> devices, byte[] plain, int index, JsonArray envelopes) {
    if (index == devices.size()) {
      return Future.succeededFuture(envelopes);
    }
    return sessions
        .encrypt(devices.get(index), plain)
        .compose(
            ciphertext -> {
              envelopes.add(
                  new JsonObject()
                      .put("userId", ciphertext.recipient().userId().toString())
                      .put("deviceId", ciphertext.recipient().deviceId())
                      .put("type", ciphertext.type())
                      .put("ciphertext", Base64.getEncoder().encodeToString(ciphertext.body())));
              return encryptAll(devices, plain, index + 1, envelopes);
            });
  }

  // ---- receiving ----

  /** Whether the message is one this client decrypts (rather than passing it on as it is). */
  public boolean handles(RoomMessage message) {
    return "encrypted".equals(message.kind()) && !message.masked() && message.senderId() != null;
  }

  /**
   * Decrypts an encrypted message (in the order the caller hands them over) and keeps it in the
   * message store; answers the event for the integrator: {@link EncryptedMessage}, or {@link
   * UndecryptableMessage} with the reason. Never fails.
   */
  public Future<ClientEvent> receive(RoomMessage message) {
    DeviceAddress self = sessions.self();
    DeviceAddress sender = new DeviceAddress(message.senderId(), message.senderDevice());
    if (message.envelope() == null) {
      if (!sender.equals(self)) {
        return Future.succeededFuture(
            undecryptable(message, "NO_ENVELOPE", "The server holds no envelope for this device."));
      }
      JsonObject pending =
          message.clientMsgId() == null ? null : pendingOwn.get(message.clientMsgId());
      if (pending != null) {
        return keep(message, pending, true);
      }
      return context
          .executeBlocking(() -> store.messages().message(message.room(), message.seq()), true)
          .map(
              kept ->
                  kept != null
                      ? (ClientEvent) fromStored(message.room(), kept)
                      : (ClientEvent)
                          undecryptable(
                              message,
                              "NO_ENVELOPE",
                              "Sent by this device; the local store does not hold it."))
          .otherwise(
              failure -> (ClientEvent) undecryptable(message, "FAILED", failure.getMessage()));
    }
    return sessions
        .decrypt(sender, message.envelope().type(), message.envelope().ciphertext())
        .compose(
            plain -> {
              JsonObject payload;
              try {
                payload = new JsonObject(new String(Padding.strip(plain), StandardCharsets.UTF_8));
              } catch (DecodeException | IllegalArgumentException e) {
                return Future.succeededFuture(
                    undecryptable(message, "MALFORMED", "Its content is not a Konsil message."));
              }
              String problem = payloadProblem(message.room(), payload);
              if (problem != null) {
                return Future.succeededFuture(undecryptable(message, "MALFORMED", problem));
              }
              return keep(message, payload, false);
            })
        .otherwise(failure -> undecryptable(message, reason(failure), failure.getMessage()));
  }

  private Future<ClientEvent> keep(RoomMessage message, JsonObject payload, boolean own) {
    JsonObject stored = stored(message, payload, own);
    return context
        .executeBlocking(
            () -> {
              store.messages().put(message.room(), message.seq(), stored);
              return (ClientEvent) fromStored(message.room(), stored);
            },
            true)
        .otherwise(failure -> undecryptable(message, "FAILED", failure.getMessage()));
  }

  /** The decrypted message of the room with this sequence number, or null if none is kept. */
  public Future<EncryptedMessage> message(UUID room, long seq) {
    return OnContext.run(
        context,
        () ->
            context.executeBlocking(
                () -> {
                  JsonObject kept = store.messages().message(room, seq);
                  return kept == null ? null : fromStored(room, kept);
                },
                true));
  }

  /** The decrypted messages of the room kept in the local store, in sequence order. */
  public Future<List<EncryptedMessage>> history(UUID room) {
    return OnContext.run(
        context,
        () ->
            context.executeBlocking(
                () -> {
                  List<EncryptedMessage> messages = new ArrayList<>();
                  for (JsonObject kept : store.messages().history(room)) {
                    messages.add(fromStored(room, kept));
                  }
                  return messages;
                },
                true));
  }

  // ---- revocation ----

  /**
   * Removes the local plaintext of every room whose patient revoked consent, unless this user's
   * organisation is the patient's (it keeps the history for its documentation duty); emits {@link
   * RoomHistoryWiped} for each. Called at every {@code revoked} and {@code ready}, so a client that
   * was offline at the revocation wipes at its next connect.
   */
  public Future<Void> reconcile(Account account) {
    return context
        .executeBlocking(() -> store.messages().rooms(), true)
        .compose(
            kept -> {
              if (kept.isEmpty() || account == null) {
                return Future.succeededFuture();
              }
              return http.array(HttpMethod.GET, "/api/v1/rooms", 200)
                  .compose(rooms -> wipeRevoked(rooms, Set.copyOf(kept), account));
            });
  }

  private Future<Void> wipeRevoked(JsonArray rooms, Set<UUID> kept, Account account) {
    List<UUID> toWipe = new ArrayList<>();
    for (int i = 0; i < rooms.size(); i++) {
      JsonObject room = rooms.getJsonObject(i);
      UUID id = UUID.fromString(room.getString("id"));
      if (!kept.contains(id) || room.getValue("consentRevokedAt") == null) {
        continue;
      }
      JsonObject patient = room.getJsonObject("patient");
      String owner = patient == null ? null : patient.getString("organisationId");
      if (!account.organisationId().toString().equals(owner)) {
        toWipe.add(id);
      }
    }
    if (toWipe.isEmpty()) {
      return Future.succeededFuture();
    }
    return context
        .executeBlocking(
            () -> {
              Map<UUID, Integer> wiped = new HashMap<>();
              for (UUID room : toWipe) {
                wiped.put(room, store.messages().wipe(room));
              }
              return wiped;
            },
            true)
        .map(
            wiped -> {
              for (UUID room : toWipe) {
                roomDevices.remove(room);
                events.accept(new RoomHistoryWiped(room, wiped.get(room)));
              }
              return null;
            });
  }

  // ---- payloads and stored messages ----

  private static JsonObject payload(UUID room, UUID clientMsgId, String text) {
    JsonObject payload =
        new JsonObject()
            .put("v", 1)
            .put("room", room.toString())
            .put("clientMsgId", clientMsgId.toString());
    if (text != null) {
      payload.put("text", text);
    }
    return payload;
  }

  private static String textProblem(String text) {
    if (text == null || text.isBlank() || text.length() > MAX_TEXT) {
      return "A message needs 1 to 16,000 characters, not all blank.";
    }
    if (text.indexOf('\0') >= 0) {
      return "A message cannot contain NUL.";
    }
    return null;
  }

  private static String payloadProblem(UUID room, JsonObject payload) {
    try {
      if (!Integer.valueOf(1).equals(payload.getInteger("v"))) {
        return "Its content has an unknown format.";
      }
      if (!room.toString().equals(payload.getString("room"))) {
        return "It was sealed for another room.";
      }
      Object text = payload.getValue("text");
      JsonObject file = payload.getJsonObject("file");
      if (text == null && file == null) {
        return "It carries neither text nor file.";
      }
      if (text != null && !(text instanceof String)) {
        return "Its text is not a string.";
      }
      if (file != null) {
        EncryptedFile.fromJson(file);
      }
      return null;
    } catch (RuntimeException e) {
      return "Its content is not a Konsil message.";
    }
  }

  private JsonObject own(UUID room, Ack ack, JsonObject payload) {
    DeviceAddress self = sessions.self();
    Account account = http.account();
    return new JsonObject()
        .put("seq", ack.seq())
        .put("id", ack.id().toString())
        .put("sentAt", ack.sentAt().toString())
        .put("clientMsgId", ack.clientMsgId().toString())
        .put("senderId", self.userId().toString())
        .put("senderName", account == null ? null : account.displayName())
        .put("senderOrganisationId", account == null ? null : account.organisationId().toString())
        .put("senderOrganisationName", account == null ? null : account.organisationName())
        .put("senderDevice", self.deviceId())
        .put("text", payload.getString("text"))
        .put("file", payload.getJsonObject("file"))
        .put("own", true);
  }

  private static JsonObject stored(RoomMessage message, JsonObject payload, boolean own) {
    return new JsonObject()
        .put("seq", message.seq())
        .put("id", message.id().toString())
        .put("sentAt", message.sentAt().toString())
        .put("clientMsgId", message.clientMsgId() == null ? null : message.clientMsgId().toString())
        .put("senderId", message.senderId().toString())
        .put("senderName", message.senderName())
        .put(
            "senderOrganisationId",
            message.senderOrganisationId() == null
                ? null
                : message.senderOrganisationId().toString())
        .put("senderOrganisationName", message.senderOrganisationName())
        .put("senderDevice", message.senderDevice())
        .put("text", payload.getString("text"))
        .put("file", payload.getJsonObject("file"))
        .put("own", own);
  }

  private static EncryptedMessage fromStored(UUID room, JsonObject kept) {
    JsonObject file = kept.getJsonObject("file");
    return new EncryptedMessage(
        room,
        kept.getLong("seq"),
        uuid(kept.getString("id")),
        Instant.parse(kept.getString("sentAt")),
        uuid(kept.getString("clientMsgId")),
        uuid(kept.getString("senderId")),
        kept.getString("senderName"),
        uuid(kept.getString("senderOrganisationId")),
        kept.getString("senderOrganisationName"),
        kept.getInteger("senderDevice", 0),
        kept.getString("text"),
        file == null ? null : EncryptedFile.fromJson(file),
        kept.getBoolean("own", false));
  }

  private static UndecryptableMessage undecryptable(
      RoomMessage message, String reason, String detail) {
    return new UndecryptableMessage(
        message.room(),
        message.seq(),
        message.id(),
        message.sentAt(),
        message.senderId(),
        message.senderName(),
        message.senderDevice(),
        reason,
        detail);
  }

  private static String reason(Throwable failure) {
    if (failure instanceof UndecryptableMessageException refused) {
      return refused.reason().name();
    }
    if (failure instanceof IdentityKeyChangedException) {
      return "IDENTITY_CHANGED";
    }
    return "FAILED";
  }

  private static Set<DeviceAddress> addresses(JsonArray list) {
    Set<DeviceAddress> devices = new LinkedHashSet<>();
    for (int i = 0; i < list.size(); i++) {
      JsonObject device = list.getJsonObject(i);
      devices.add(
          new DeviceAddress(
              UUID.fromString(device.getString("userId")), device.getInteger("deviceId")));
    }
    return devices;
  }

  private static boolean transientFailure(Throwable failure) {
    return failure instanceof java.io.IOException
        || failure instanceof io.vertx.core.VertxException
        || failure instanceof java.util.concurrent.TimeoutException;
  }

  private Future<Void> pause(long millis) {
    Promise<Void> promise = Promise.promise();
    vertx.setTimer(Math.max(1, millis), id -> promise.complete());
    return promise.future();
  }

  private static UUID uuid(String text) {
    return text == null ? null : UUID.fromString(text);
  }
}
