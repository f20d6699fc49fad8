package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which users have a WebSocket open: counted here for this node, and written to the database (table
 * presence, with a heartbeat per node in nodes) so that every node's notifier knows. The database's
 * own clock dates the heartbeats; a node whose heartbeat is older than {@link #ALIVE} no longer
 * counts.
 */
public final class Presence {

  /** How old a node's heartbeat may be before its users count as gone. */
  public static final Duration ALIVE = Duration.ofSeconds(60);

  private static final Logger LOG = LoggerFactory.getLogger(Presence.class);
  private static final Duration HEARTBEAT = Duration.ofSeconds(20);

  private static final String FORGET_OLD_NODES =
      "DELETE FROM nodes WHERE seen_at < now() - interval '1 hour'";
  private static final String INSERT_NODE = "INSERT INTO nodes (id, seen_at) VALUES ($1, now())";
  private static final String TOUCH_NODE = "UPDATE nodes SET seen_at = now() WHERE id = $1";
  private static final String DELETE_NODE = "DELETE FROM nodes WHERE id = $1";
  private static final String INSERT_USER =
      "INSERT INTO presence (node_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
  private static final String DELETE_USER =
      "DELETE FROM presence WHERE node_id = $1 AND user_id = $2";
  private static final String DELETE_GONE_USERS =
      "DELETE FROM presence WHERE node_id = $1 AND NOT (user_id = ANY($2))";

  /** The node's connected users, those deleted meanwhile left out. */
  private static final String INSERT_USERS =
      """
      INSERT INTO presence (node_id, user_id)
      SELECT $1, u FROM unnest($2::uuid[]) AS u JOIN users ON users.id = u
      ON CONFLICT DO NOTHING""";

  private final Map<UUID, Integer> sockets = new ConcurrentHashMap<>();
  private final UUID node = UUID.randomUUID();
  private Vertx vertx;
  private Pool pool;
  private long timer = -1;

  /** Registers this node and starts its heartbeat; without it presence stays in this node. */
  public Future<Void> start(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
    return pool.preparedQuery(FORGET_OLD_NODES)
        .execute()
        .compose(done -> pool.preparedQuery(INSERT_NODE).execute(Tuple.of(node)))
        .onSuccess(done -> timer = vertx.setPeriodic(HEARTBEAT.toMillis(), id -> heartbeat()))
        .mapEmpty();
  }

  /** Removes this node and its users from the shared presence. */
  public Future<Void> stop() {
    if (pool == null) {
      return Future.succeededFuture();
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return pool.preparedQuery(DELETE_NODE)
        .execute(Tuple.of(node))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  public void connected(UUID user) {
    if (sockets.merge(user, 1, Integer::sum) == 1 && pool != null) {
      write(INSERT_USER, user);
    }
  }

  public void disconnected(UUID user) {
    boolean gone =
        sockets.computeIfPresent(user, (key, count) -> count <= 1 ? null : count - 1) == null;
    if (gone && pool != null) {
      write(DELETE_USER, user);
    }
  }

  /** Whether the user has a socket open on this node. */
  public boolean isConnected(UUID user) {
    return sockets.containsKey(user);
  }

  private void write(String sql, UUID user) {
    pool.preparedQuery(sql)
        .execute(Tuple.of(node, user))
        .onFailure(
            e -> LOG.warn("presence not written (the heartbeat repairs it): {}", e.toString()));
  }

  /**
   * Keeps this node alive and its rows right: writes that raced or failed are repaired here. Runs
   * every {@link #HEARTBEAT}; callable at any time.
   */
  public Future<Void> heartbeat() {
    UUID[] users = sockets.keySet().toArray(new UUID[0]);
    return pool.withTransaction(
            tx ->
                tx.preparedQuery(TOUCH_NODE)
                    .execute(Tuple.of(node))
                    .compose(
                        updated ->
                            updated.rowCount() > 0
                                ? Future.succeededFuture()
                                : tx.preparedQuery(INSERT_NODE).execute(Tuple.of(node)).mapEmpty())
                    .compose(
                        done ->
                            tx.preparedQuery(DELETE_GONE_USERS)
                                .execute(Tuple.tuple().addUUID(node).addArrayOfUUID(users)))
                    .compose(
                        done ->
                            tx.preparedQuery(INSERT_USERS)
                                .execute(Tuple.tuple().addUUID(node).addArrayOfUUID(users))))
        .onFailure(e -> LOG.warn("presence heartbeat failed: {}", e.toString()))
        .mapEmpty();
  }
}
