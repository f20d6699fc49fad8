package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one connection's view of one room in sequence order with no gap and no duplicate. Live
 * frames may arrive out of order (several writers, several nodes); a frame ahead of a gap is held
 * while the missing messages are read from the database. A client's {@code sync} replays stored
 * messages through the same cursor.
 */
final class RoomCursor {

  /** Reads stored messages with after < seq <= upTo, oldest first. */
  interface Fetch {
    Future<List<Message>> range(UUID room, long after, long upTo, int limit);

    /** The same, with the reading device's envelopes of an encrypted room's messages. */
    default Future<List<Message>> range(
        UUID room, long after, long upTo, int limit, MessageStore.Reader reader) {
      return range(room, after, upTo, limit);
    }

    /** The room's last stored sequence number. */
    Future<Long> lastSeq(UUID room);
  }

  /** Runs an action on the connection's event loop after a delay (a Vert.x timer). */
  interface Later {
    /**
     * Runs the action at once, on the caller's thread: gaps are read from storage without delay.
     */
    Later NOW = (delayMs, action) -> action.run();

    void run(long delayMs, Runnable action);
  }

  /**
   * How long a gap may stay open before the missing messages are read from the database. Frames of
   * one room come from senders served on different event loops (and nodes), so the next frame often
   * arrives a moment after the one behind it; waiting for it saves every member connection a read.
   * A frame that never comes live (its node stopped between commit and publish) is read after this
   * delay.
   */
  static final long GAP_GRACE_MS = 100;

  private static final Logger LOG = LoggerFactory.getLogger(RoomCursor.class);
  static final int PAGE = 100;
  private static final int MAX_HELD = 10_000;

  private final UUID room;
  private final ClientConnection connection;
  private final Fetch fetch;
  private final TreeMap<Long, String> held = new TreeMap<>();
  private final ArrayDeque<JsonObject> syncRequests = new ArrayDeque<>();
  private long delivered;

  /**
   * The highest sequence number the room is known to have committed without its frame having come
   * live ({@link #committed}); what lies between {@code delivered} and it is read from the
   * database.
   */
  private long committed;

  private boolean busy;
  private boolean gapTimer;

  /**
   * The room's patient revoked consent: frames pushed from now on are masked (system notices stay
   * readable). Set when the connection starts following a room the database says is revoked, and
   * when the revocation's live event arrives; never unset, as a revocation is final.
   */
  private boolean masked;

  /**
   * Where this connection began following the room: everything after it up to {@code delivered} has
   * been pushed on this connection once, so a replay must not repeat it.
   */
  private final long started;

  /**
   * The room is end-to-end encrypted: each frame goes out with this connection's device's envelope
   * only (none when the connection named no device). Fixed, as a room's encryption never changes.
   */
  private final boolean encrypted;

  private final Later later;

  RoomCursor(UUID room, ClientConnection connection, Fetch fetch, long delivered) {
    this(room, connection, fetch, delivered, false, Later.NOW);
  }

  RoomCursor(
      UUID room,
      ClientConnection connection,
      Fetch fetch,
      long delivered,
      boolean encrypted,
      Later later) {
    this.room = room;
    this.connection = connection;
    this.fetch = fetch;
    this.delivered = delivered;
    this.started = delivered;
    this.encrypted = encrypted;
    this.later = later;
  }

  /** Envelopes are read for the connection's device in an encrypted room only. */
  private MessageStore.Reader reader() {
    return encrypted
        ? new MessageStore.Reader(connection.user.userId(), connection.device)
        : MessageStore.Reader.NOBODY;
  }

  /**
   * The room's patient revoked consent: frames still held back, and every live frame offered from
   * now on, go out masked. Frames published before the revocation may arrive after it.
   */
  void mask() {
    masked = true;
    held.replaceAll((seq, frame) -> Message.maskFrame(frame));
  }

  long delivered() {
    return delivered;
  }

  /** A live message: pushed now if it is next, held if a gap or a fetch is in the way. */
  void offer(long seq, String live) {
    if (seq <= delivered || connection.isClosed()) {
      return;
    }
    String frame = masked ? Message.maskFrame(live) : live;
    if (encrypted && !masked) {
      frame = Message.frameForDevice(frame, connection.user.userId(), connection.device);
    }
    if (busy || seq != delivered + 1) {
      held.put(seq, frame);
      if (held.size() > MAX_HELD) {
        connection.close(ClientConnection.CLOSE_TOO_SLOW, "too far behind; reconnect and sync");
        return;
      }
      if (!busy) {
        awaitGap();
      }
      return;
    }
    connection.sendLive(frame);
    delivered = seq;
    release();
  }

  /**
   * The room has committed messages up to seq, whose frames may never come live (a send answered as
   * a duplicate: its first statement's answer was lost). What is still missing up to it after
   * {@link #GAP_GRACE_MS} is read from the database, like a gap.
   */
  void committed(long seq) {
    if (seq <= delivered || connection.isClosed()) {
      return;
    }
    committed = Math.max(committed, seq);
    if (!busy) {
      awaitGap();
    }
  }

  /**
   * Replays stored messages after the given sequence number, then answers {@code synced}. The
   * request's {@code ref} is echoed.
   */
  void sync(long after, String ref) {
    syncRequests.addLast(new JsonObject().put("after", after).put("ref", ref));
    if (!busy) {
      nextSync();
    }
  }

  private void nextSync() {
    JsonObject request = syncRequests.pollFirst();
    if (request == null) {
      release();
      return;
    }
    busy = true;
    long after = request.getLong("after");
    String ref = request.getString("ref");
    // What the client says it has counts as delivered, so live pushes do not repeat it; but only as
    // far as the room went when the sync began, or a message committed meanwhile could be skipped.
    Future<Long> start =
        after > delivered
            ? fetch.lastSeq(room).map(last -> Math.min(after, last))
            : Future.succeededFuture(after);
    start
        .onSuccess(
            from -> {
              if (from > delivered) {
                delivered = from;
              }
              syncPage(from, ref);
            })
        .onFailure(this::fail);
  }

  private void syncPage(long after, String ref) {
    fetch
        .range(room, after, Long.MAX_VALUE, PAGE, reader())
        .onSuccess(
            page -> {
              if (connection.isClosed()) {
                return;
              }
              long last = after;
              for (Message message : page) {
                // a message pushed live since the connection began following the room goes once
                if (message.seq() <= started || message.seq() > delivered) {
                  connection.sendBulk(message.toFrame());
                }
                last = message.seq();
              }
              delivered = Math.max(delivered, last);
              if (page.size() == PAGE) {
                long next = last;
                connection.writable().onSuccess(v -> syncPage(next, ref));
                return;
              }
              JsonObject synced =
                  new JsonObject()
                      .put("type", "synced")
                      .put("room", room.toString())
                      .put("seq", delivered);
              if (ref != null) {
                synced.put("ref", ref);
              }
              connection.sendBulk(synced.encode());
              busy = false;
              nextSync();
            })
        .onFailure(this::fail);
  }

  /** Reads what is missing between what was delivered and upTo from the database. */
  private void fill(long upTo) {
    busy = true;
    fetch
        .range(room, delivered, upTo, PAGE, reader())
        .onSuccess(
            page -> {
              if (connection.isClosed()) {
                return;
              }
              if (page.isEmpty() || page.get(0).seq() != delivered + 1) {
                LOG.warn(
                    "room {} is missing seq {} in storage; closing the connection",
                    room,
                    delivered + 1);
                connection.close(ClientConnection.CLOSE_INTERNAL_ERROR, "resync required");
                return;
              }
              for (Message message : page) {
                if (message.seq() == delivered + 1) {
                  connection.sendBulk(message.toFrame());
                  delivered = message.seq();
                }
              }
              busy = false;
              if (!syncRequests.isEmpty()) {
                nextSync();
              } else {
                release();
              }
            })
        .onFailure(this::fail);
  }

  /**
   * Pushes held frames that are now next; starts a fill when a gap remains, or when messages known
   * to be committed are still missing.
   */
  private void release() {
    while (!busy && !held.isEmpty()) {
      Map.Entry<Long, String> first = held.firstEntry();
      if (first.getKey() <= delivered) {
        held.pollFirstEntry();
      } else if (first.getKey() == delivered + 1) {
        held.pollFirstEntry();
        connection.sendLive(first.getValue());
        delivered = first.getKey();
      } else {
        awaitGap();
        return;
      }
    }
    if (!busy && committed > delivered) {
      awaitGap();
    }
  }

  /**
   * A gap before the held frames, or behind what the room committed: gives the missing frames
   * {@link #GAP_GRACE_MS} to arrive live, then reads what is still missing from storage.
   */
  private void awaitGap() {
    if (gapTimer) {
      return;
    }
    gapTimer = true;
    later.run(
        GAP_GRACE_MS,
        () -> {
          gapTimer = false;
          if (busy || connection.isClosed()) {
            return;
          }
          if (held.isEmpty()) {
            if (committed > delivered) {
              fill(committed);
            }
            return;
          }
          long first = held.firstKey();
          if (first > delivered + 1) {
            fill(first - 1);
          } else {
            release();
          }
        });
  }

  private void fail(Throwable failure) {
    LOG.warn("reading room {} for a connection failed: {}", room, failure.toString());
    connection.close(ClientConnection.CLOSE_INTERNAL_ERROR, "resync required");
  }
}
