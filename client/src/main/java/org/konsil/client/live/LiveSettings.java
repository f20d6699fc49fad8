package org.konsil.client.live;

/**
 * Timing of the WebSocket: the pause before reconnecting grows from {@code reconnectMinMillis} to
 * {@code reconnectMaxMillis}; every {@code heartbeatMillis} the client sends a {@code ping} and
 * takes a connection on which nothing arrived for two and a half heartbeats as lost.
 */
public record LiveSettings(long reconnectMinMillis, long reconnectMaxMillis, long heartbeatMillis) {

  public static final LiveSettings DEFAULT = new LiveSettings(250, 15_000, 20_000);

  public LiveSettings {
    if (reconnectMinMillis < 1 || reconnectMaxMillis < reconnectMinMillis || heartbeatMillis < 1) {
      throw new IllegalArgumentException("pauses must be positive, the longest at least the least");
    }
  }
}
