package org.konsil.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.konsil.client.e2e.DeviceKeys;
import org.konsil.client.e2e.OnContext;
import org.konsil.client.e2e.SignalSessions;
import org.konsil.client.encrypted.EncryptedRooms;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.ConnectionReady;
import org.konsil.client.event.PrekeysLow;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.event.RoomRevoked;
import org.konsil.client.event.SessionEnded;
import org.konsil.client.http.Account;
import org.konsil.client.http.KonsilHttp;
import org.konsil.client.http.LoginStep;
import org.konsil.client.live.Ack;
import org.konsil.client.live.LiveConnection;
import org.konsil.client.recovery.Recovery;
import org.konsil.client.store.LocalStoreException;
import org.konsil.client.store.ProtocolStore;

/**
 * A Konsil client for one user: login (password, second factor, refresh, logout), the WebSocket
 * with the delivery contract (messages as {@link ClientEvent}s, sends acknowledged once stored),
 * and, once the key store is open, the device's keys ({@link #devices()}) and Signal-protocol
 * sessions ({@link #sessions()}).
 *
 * <p>All methods may be called from any thread; they run on the client's Vert.x context, and events
 * reach the listeners there, one at a time, in order.
 */
public final class KonsilClient {

  private final Context context;
  private final ClientOptions options;
  private final List<Consumer<ClientEvent>> listeners = new CopyOnWriteArrayList<>();
  private final KonsilHttp http;
  private final LiveConnection live;
  private ProtocolStore store;
  private DeviceKeys devices;
  private SignalSessions sessions;
  private EncryptedRooms encryptedRooms;
  private Recovery recovery;
  private Future<Void> pipeline = Future.succeededFuture();

  private KonsilClient(Vertx vertx, ClientOptions options) {
    this.context = vertx.getOrCreateContext();
    this.options = options;
    this.http =
        new KonsilHttp(
            vertx, options.server(), options.webClientOptions(), options.clock(), this::emit);
    this.live =
        new LiveConnection(
            vertx,
            options.server(),
            options.webSocketOptions(),
            http::webSocketTicket,
            options.cursors(),
            options.liveSettings(),
            () -> store == null ? 0 : store.deviceId(),
            this::emit);
  }

  /** A client on the integrator's Vert.x instance. */
  public static KonsilClient create(Vertx vertx, ClientOptions options) {
    return new KonsilClient(vertx, options);
  }

  /** Adds a listener for every event of this client. */
  public KonsilClient onEvent(Consumer<ClientEvent> listener) {
    listeners.add(listener);
    return this;
  }

  // ---- login ----

  /** Logs in with password, asking the prompt for a code if the server wants a second factor. */
  public Future<Account> login(String email, String password, SecondFactorPrompt prompt) {
    return onContext(
        () ->
            http.login(email, password)
                .compose(
                    step ->
                        step.secondFactorRequired()
                            ? prompt
                                .code()
                                .compose(code -> http.completeSecondFactor(step.challenge(), code))
                            : Future.succeededFuture(step.account())));
  }

  /** Step one of a login by hand: answers the account, or the challenge for the second factor. */
  public Future<LoginStep> login(String email, String password) {
    return onContext(() -> http.login(email, password));
  }

  /** Step two of a login by hand. */
  public Future<Account> completeSecondFactor(String challenge, String code) {
    return onContext(() -> http.completeSecondFactor(challenge, code));
  }

  /** Swaps the refresh token for new tokens now (the client also does this by itself). */
  public Future<Account> refresh() {
    return onContext(http::refresh);
  }

  /** Ends the session on the server and closes the WebSocket. */
  public Future<Void> logout() {
    return onContext(() -> live.stop().compose(v -> http.logout()));
  }

  /** The logged-in user, or null. */
  public Account account() {
    return http.account();
  }

  // ---- the REST API ----

  /**
   * An authenticated GET of the REST API ({@code docs/openapi.yaml}) whose answer is a JSON object,
   * for what the library has no method of its own (rooms, patients, plain history); a refusal is a
   * {@link org.konsil.client.http.KonsilApiException}.
   */
  public Future<JsonObject> getObject(String path) {
    return onContext(() -> http.json(HttpMethod.GET, path, null, 200));
  }

  /**
   * An authenticated request of any path of the REST API ({@code /api/...} with its query),
   * answered as it came, whatever its status: for a program that relays the API to a local page, as
   * the desktop companion does.
   */
  public Future<HttpResponse<Buffer>> forward(
      HttpMethod method, String pathAndQuery, String contentType, Buffer body) {
    return onContext(() -> http.forward(method, pathAndQuery, contentType, body));
  }

  /**
   * Opens a further WebSocket of this session without a device: it sees that encrypted messages
   * came, not their envelopes, and its frames are the caller's to read (outside the library's
   * delivery contract). The desktop companion relays one per browser tab.
   */
  public Future<WebSocket> openWebSocket() {
    return onContext(live::openWithoutDevice);
  }

  /** An authenticated GET of the REST API whose answer is a JSON array. */
  public Future<JsonArray> getArray(String path) {
    return onContext(() -> http.array(HttpMethod.GET, path, 200));
  }

  // ---- the WebSocket ----

  /** Opens the WebSocket (and keeps it open); completes at its {@code ready}. */
  public Future<Void> connect() {
    return onContext(live::start);
  }

  /** Closes the WebSocket; messages without acknowledgement are sent after the next connect. */
  public Future<Void> disconnect() {
    return onContext(live::stop);
  }

  /** Drops the current connection as a network failure would; the client reconnects. */
  public Future<Void> interruptConnection() {
    return onContext(
        () -> {
          live.interrupt();
          return Future.succeededFuture();
        });
  }

  /** Sends a text message to a plain room with a new {@code clientMsgId}. */
  public Future<Ack> send(UUID room, String text) {
    return send(room, text, UUID.randomUUID());
  }

  /**
   * Sends a text message with the integrator's {@code clientMsgId}: the same id again (also after a
   * restart) stores the message once and answers its first acknowledgement.
   */
  public Future<Ack> send(UUID room, String text, UUID clientMsgId) {
    return onContext(() -> live.send(room, text, clientMsgId));
  }

  /** Moves the user's read marker of a room (while connected). */
  public void markRead(UUID room, long seq) {
    context.runOnContext(v -> live.read(room, seq));
  }

  /** Tells the room that the user is typing (while connected). */
  public void typing(UUID room) {
    context.runOnContext(v -> live.typing(room));
  }

  /** The last sequence number of the room delivered as an event (-1 if the room is unknown). */
  public Future<Long> delivered(UUID room) {
    return onContext(() -> Future.succeededFuture(live.delivered(room)));
  }

  // ---- end-to-end keys ----

  /**
   * Opens this user's protocol store in {@link ClientOptions#setKeyStore}, or makes one with a new
   * identity, locked with the password (use the user's Konsil password). Refuses a wrong password
   * ({@link org.konsil.client.store.WrongPasswordException}) and a store of another user or server.
   * Log in first.
   */
  public Future<Void> openKeyStore(char[] password) {
    return onContext(
        () -> {
          Account account = http.account();
          if (account == null) {
            return Future.failedFuture(new IllegalStateException("Log in first"));
          }
          if (options.keyStore() == null) {
            return Future.failedFuture(new IllegalStateException("No key store folder set"));
          }
          if (store != null) {
            return Future.succeededFuture();
          }
          return context
              .executeBlocking(() -> openStore(account, password), true)
              .map(
                  opened -> {
                    store = opened;
                    devices =
                        new DeviceKeys(
                            context,
                            http,
                            opened,
                            options.keySettings(),
                            options.clock(),
                            this::emit);
                    sessions = new SignalSessions(context, http, opened, this::emit);
                    encryptedRooms =
                        new EncryptedRooms(
                            context.owner(), context, http, sessions, opened, this::emit);
                    EncryptedRooms rooms = encryptedRooms;
                    recovery =
                        new Recovery(
                            context,
                            http,
                            opened,
                            options.storeSettings(),
                            () -> rooms.reconcile(http.account()));
                    return null;
                  });
        });
  }

  /**
   * Locks the open key store with a new password (when the user changed their Konsil password); the
   * store's files stay as they are.
   */
  public Future<Void> changeKeyStorePassword(char[] newPassword) {
    return onContext(
        () -> {
          if (store == null) {
            return Future.failedFuture(new IllegalStateException("Open the key store first"));
          }
          ProtocolStore open = store;
          return context.executeBlocking(
              () -> {
                open.changePassword(newPassword, options.storeSettings());
                return null;
              },
              true);
        });
  }

  /** The device's keys in the directory; after {@link #openKeyStore}. */
  public DeviceKeys devices() {
    if (devices == null) {
      throw new IllegalStateException("Open the key store first");
    }
    return devices;
  }

  /** Signal-protocol sessions with partners' devices; after {@link #openKeyStore}. */
  public SignalSessions sessions() {
    if (sessions == null) {
      throw new IllegalStateException("Open the key store first");
    }
    return sessions;
  }

  /**
   * Sending into and reading from end-to-end encrypted rooms, and their local history; after {@link
   * #openKeyStore} and the device's registration. Connect after registering, so that the connection
   * speaks for the device and receives its envelopes.
   */
  public EncryptedRooms encryptedRooms() {
    if (encryptedRooms == null) {
      throw new IllegalStateException("Open the key store first");
    }
    return encryptedRooms;
  }

  /**
   * The recovery key and backup ("Super-PIN"): back up this device's identity and history under a
   * recovery code, restore it on a new device; after {@link #openKeyStore}.
   */
  public Recovery recovery() {
    if (recovery == null) {
      throw new IllegalStateException("Open the key store first");
    }
    return recovery;
  }

  /** The open key store (its restored identity, its folder); after {@link #openKeyStore}. */
  public ProtocolStore keyStore() {
    if (store == null) {
      throw new IllegalStateException("Open the key store first");
    }
    return store;
  }

  /**
   * Stops the WebSocket and closes the key store (its lock is released); the login session stays on
   * the server until it expires or {@link #logout}.
   */
  public Future<Void> close() {
    return onContext(
        () ->
            live.stop()
                .compose(
                    v ->
                        context.executeBlocking(
                            () -> {
                              if (store != null) {
                                store.close();
                              }
                              return null;
                            },
                            true)));
  }

  private ProtocolStore openStore(Account account, char[] password) {
    String server = options.server();
    if (!ProtocolStore.exists(options.keyStore())) {
      return ProtocolStore.create(
          options.keyStore(), password, options.storeSettings(), account.id(), server);
    }
    ProtocolStore opened = ProtocolStore.open(options.keyStore(), password);
    if (!opened.userId().equals(account.id()) || !opened.server().equals(server)) {
      opened.close();
      throw new LocalStoreException(
          "The key store in "
              + options.keyStore()
              + " belongs to another user or server; give each user a folder of their own");
    }
    return opened;
  }

  // ---- events ----

  private void emit(ClientEvent event) {
    if (event instanceof SessionEnded) {
      http.sessionEnded();
    }
    if (event instanceof PrekeysLow low && devices != null) {
      devices.onPrekeysLow(low);
    }
    if (event instanceof ConnectionReady && devices != null) {
      devices.maintain();
    }
    EncryptedRooms rooms = encryptedRooms;
    if (rooms != null
        && event instanceof RoomMessage message
        && live.device() > 0
        && rooms.handles(message)) {
      // decrypted in order: every later event waits behind it
      pipeline =
          pipeline.transform(
              done ->
                  rooms
                      .receive(message)
                      .map(
                          decrypted -> {
                            dispatch(decrypted);
                            live.received(message.room(), message.seq());
                            return null;
                          }));
    } else if (rooms != null
        && (event instanceof RoomRevoked || event instanceof ConnectionReady)) {
      pipeline =
          pipeline.transform(
              done -> {
                dispatch(event);
                return rooms.reconcile(http.account()).otherwiseEmpty();
              });
    } else if (!pipeline.isComplete()) {
      pipeline =
          pipeline.transform(
              done -> {
                dispatch(event);
                return Future.succeededFuture();
              });
    } else {
      dispatch(event);
    }
  }

  private void dispatch(ClientEvent event) {
    for (Consumer<ClientEvent> listener : listeners) {
      try {
        listener.accept(event);
      } catch (RuntimeException e) {
        // a failing listener must not stop the others or the connection
      }
    }
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    return OnContext.run(context, action);
  }
}
