package org.konsil.server.notifications;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which users have a WebSocket open on this node. Notifications by e-mail skip them: they see the
 * message already.
 */
public final class Presence {

  private final Map<UUID, Integer> sockets = new ConcurrentHashMap<>();

  public void connected(UUID user) {
    sockets.merge(user, 1, Integer::sum);
  }

  public void disconnected(UUID user) {
    sockets.computeIfPresent(user, (key, count) -> count <= 1 ? null : count - 1);
  }

  public boolean isConnected(UUID user) {
    return sockets.containsKey(user);
  }
}
