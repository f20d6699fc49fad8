package org.konsil.client;

import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import org.konsil.client.e2e.KeySettings;
import org.konsil.client.live.LiveSettings;
import org.konsil.client.live.RoomCursors;
import org.konsil.client.store.StoreSettings;

/** What a {@link KonsilClient} needs: the server, where its keys live, and its timings. */
public final class ClientOptions {

  private String server;
  private Path keyStore;
  private StoreSettings storeSettings = StoreSettings.DEFAULT;
  private KeySettings keySettings = KeySettings.DEFAULT;
  private LiveSettings liveSettings = LiveSettings.DEFAULT;
  private RoomCursors cursors = RoomCursors.inMemory();
  private TrustOptions trust;
  private Clock clock = Clock.systemUTC();

  /** The server's base URL, e.g. {@code https://konsil.example.org}. */
  public ClientOptions setServer(String server) {
    this.server = Objects.requireNonNull(server);
    return this;
  }

  public String server() {
    if (server == null) {
      throw new IllegalStateException("ClientOptions need the server's URL");
    }
    return server;
  }

  /**
   * The folder of the device's protocol store (identity key, prekeys, sessions), one per user and
   * device; made owner-only (0700) if missing. Needed for end-to-end encryption only.
   */
  public ClientOptions setKeyStore(Path keyStore) {
    this.keyStore = keyStore;
    return this;
  }

  public Path keyStore() {
    return keyStore;
  }

  /** Argon2id cost for a new key store. */
  public ClientOptions setStoreSettings(StoreSettings storeSettings) {
    this.storeSettings = Objects.requireNonNull(storeSettings);
    return this;
  }

  public StoreSettings storeSettings() {
    return storeSettings;
  }

  public ClientOptions setKeySettings(KeySettings keySettings) {
    this.keySettings = Objects.requireNonNull(keySettings);
    return this;
  }

  public KeySettings keySettings() {
    return keySettings;
  }

  public ClientOptions setLiveSettings(LiveSettings liveSettings) {
    this.liveSettings = Objects.requireNonNull(liveSettings);
    return this;
  }

  public LiveSettings liveSettings() {
    return liveSettings;
  }

  /** Where the client keeps its position in each room (in memory unless given). */
  public ClientOptions setCursors(RoomCursors cursors) {
    this.cursors = Objects.requireNonNull(cursors);
    return this;
  }

  public RoomCursors cursors() {
    return cursors;
  }

  /** Trusted certificates for a server whose certificate the JVM does not trust by default. */
  public ClientOptions setTrust(TrustOptions trust) {
    this.trust = trust;
    return this;
  }

  public ClientOptions setClock(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
    return this;
  }

  public Clock clock() {
    return clock;
  }

  WebClientOptions webClientOptions() {
    WebClientOptions options =
        new WebClientOptions().setUserAgent("konsil-client").setConnectTimeout(10_000);
    if (trust != null) {
      options.setTrustOptions(trust);
    }
    return options;
  }

  WebSocketClientOptions webSocketOptions() {
    WebSocketClientOptions options = new WebSocketClientOptions().setConnectTimeout(10_000);
    if (trust != null) {
      options.setTrustOptions(trust);
    }
    return options;
  }
}
