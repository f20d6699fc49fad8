package org.konsil.server.messaging;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.notifications.Presence;

/**
 * The connections of one gateway, found by the rooms they follow, their users and their sessions,
 * and what each live event becomes for them. Keeps who is connected, nothing about the rooms
 * themselves: a room's messages and whether they are masked come from the database and the events.
 * Touched only on the gateway's event loop.
 */
final class LiveFanout {

  private final RoomCursor.Fetch stored;
  private final RoomCursor.Later later;
  private final Presence presence;
  private final AtomicInteger openSockets;
  private final Set<ClientConnection> all = new HashSet<>();
  private final Set<ClientConnection> joining = new HashSet<>();
  private final Map<UUID, Set<ClientConnection>> byRoom = new HashMap<>();
  private final Map<UUID, Set<ClientConnection>> byUser = new HashMap<>();
  private final Map<UUID, Set<ClientConnection>> bySession = new HashMap<>();

  /**
   * How long an ended session, account or device is remembered. A socket whose check read the
   * database just before the end was committed joins after the end's event went by, a database
   * round trip or two later; it is ended if the end was heard after its check began. A check that
   * took longer than this is not covered.
   */
  static final long ENDS_REMEMBERED_NANOS = TimeUnit.MINUTES.toNanos(10);

  /** Recent ends ("session:", "user:" or "device:" and who), with when each was heard. */
  private final Map<String, Long> recentEnds = new HashMap<>();

  LiveFanout(
      RoomCursor.Fetch stored,
      RoomCursor.Later later,
      Presence presence,
      AtomicInteger openSockets) {
    this.stored = stored;
    this.later = later;
    this.presence = presence;
    this.openSockets = openSockets;
  }

  void opened(ClientConnection connection) {
    all.add(connection);
    openSockets.incrementAndGet();
  }

  List<ClientConnection> connections() {
    return new ArrayList<>(all);
  }

  int size() {
    return all.size();
  }

  /**
   * An authenticated connection looking up its rooms: it counts for its user and session, and the
   * live events that arrive meanwhile are kept for it.
   */
  boolean joining(ClientConnection connection) {
    connection.joiningBuffer = new ArrayList<>();
    joining.add(connection);
    byUser.computeIfAbsent(connection.user.userId(), k -> new HashSet<>()).add(connection);
    presence.connected(connection.user.userId());
    bySession.computeIfAbsent(connection.user.sessionId(), k -> new HashSet<>()).add(connection);
    // an end whose event came while this socket was being checked
    long since = connection.checkedFrom;
    if (endedSince("session:" + connection.user.sessionId(), since)) {
      sessionEnded(connection);
    } else if (endedSince("user:" + connection.user.userId(), since)) {
      accountDisabled(connection);
    } else if (connection.device != null
        && endedSince("device:" + connection.user.userId() + ":" + connection.device, since)) {
      deviceRemoved(connection);
    } else {
      return true;
    }
    return false;
  }

  private void ended(String who) {
    long now = System.nanoTime();
    recentEnds.values().removeIf(heardAt -> now - heardAt > ENDS_REMEMBERED_NANOS);
    recentEnds.put(who, now);
  }

  /** Whether the end was heard at or after the given moment (monotonic nanoseconds). */
  private boolean endedSince(String who, long since) {
    Long heardAt = recentEnds.get(who);
    return heardAt != null && heardAt - since >= 0;
  }

  private static void sessionEnded(ClientConnection connection) {
    connection.endWithError(
        "session_ended", "Your session has ended.", ClientConnection.CLOSE_ENDED, "session ended");
  }

  private static void accountDisabled(ClientConnection connection) {
    connection.endWithError(
        "account_disabled",
        "Your account has been disabled.",
        ClientConnection.CLOSE_ENDED,
        "account disabled");
  }

  private static void deviceRemoved(ClientConnection connection) {
    connection.endWithError(
        "device_removed",
        "This device has been removed.",
        ClientConnection.CLOSE_ENDED,
        "device removed");
  }

  /** The room lookup is done (or failed): answers the events kept meanwhile, oldest first. */
  List<Message<String>> joined(ClientConnection connection) {
    joining.remove(connection);
    List<Message<String>> buffered = connection.joiningBuffer;
    connection.joiningBuffer = null;
    return buffered == null ? List.of() : buffered;
  }

  /** Starts pushing the room's messages after seq; masked when the database says it is revoked. */
  void follow(
      ClientConnection connection, UUID room, long seq, boolean revoked, boolean encrypted) {
    RoomCursor cursor = new RoomCursor(room, connection, stored, seq, encrypted, later);
    if (revoked) {
      cursor.mask();
    }
    connection.cursors.put(room, cursor);
    byRoom.computeIfAbsent(room, k -> new HashSet<>()).add(connection);
  }

  /** The socket closed: the connection counts nowhere any more. */
  void forget(ClientConnection connection) {
    if (all.remove(connection)) {
      openSockets.decrementAndGet();
    }
    joining.remove(connection);
    if (connection.user == null) {
      return;
    }
    remove(byUser, connection.user.userId(), connection);
    presence.disconnected(connection.user.userId());
    remove(bySession, connection.user.sessionId(), connection);
    for (UUID room : connection.cursors.keySet()) {
      remove(byRoom, room, connection);
    }
  }

  /** A live event from any node, to the connections it concerns. */
  void onEvent(Message<String> event) {
    for (ClientConnection connection : joining) {
      connection.joiningBuffer.add(event);
    }
    MultiMap headers = event.headers();
    switch (headers.get(LiveEvents.KIND)) {
      case "message" ->
          offer(roomOf(headers), Long.parseLong(headers.get(LiveEvents.SEQ)), event.body());
      case "messages" ->
          LiveEvents.storedIn(headers, event.body())
              .forEach(message -> offer(message.room(), message.seq(), message.frame()));
      case "committed" -> {
        for (ClientConnection connection : connectionsOf(byRoom, roomOf(headers))) {
          if (connection.isReady()) {
            committed(event, connection);
          }
        }
      }
      case "masked" -> {
        for (ClientConnection connection : connectionsOf(byRoom, roomOf(headers))) {
          if (connection.isReady()) {
            revoked(event, connection);
          }
        }
      }
      case "typing", "receipt" -> {
        UUID sender = userOf(headers);
        for (ClientConnection connection : connectionsOf(byRoom, roomOf(headers))) {
          if (connection.isReady() && !connection.user.userId().equals(sender)) {
            connection.sendLive(event.body());
          }
        }
      }
      case "read", "user" -> {
        for (ClientConnection connection : connectionsOf(byUser, userOf(headers))) {
          if (connection.isReady()) {
            connection.sendLive(event.body());
          }
        }
      }
      case "device-removed" -> {
        int device = Integer.parseInt(headers.get(LiveEvents.DEVICE));
        ended("device:" + userOf(headers) + ":" + device);
        for (ClientConnection connection : connectionsOf(byUser, userOf(headers))) {
          if (connection.device != null && connection.device == device) {
            deviceRemoved(connection);
          }
        }
      }
      case "joined", "organisation", "organisations" -> {
        for (ClientConnection connection : connections()) {
          if (connection.isReady()) {
            replay(event, connection);
          }
        }
      }
      case "user-disabled" -> {
        ended("user:" + userOf(headers));
        for (ClientConnection connection : connectionsOf(byUser, userOf(headers))) {
          accountDisabled(connection);
        }
      }
      case "session-revoked" -> {
        UUID session = UUID.fromString(headers.get(LiveEvents.SESSION));
        ended("session:" + session);
        for (ClientConnection connection : connectionsOf(bySession, session)) {
          sessionEnded(connection);
        }
      }
      default -> {
        // an event kind from a newer node; nothing to do here
      }
    }
  }

  /**
   * One event to one connection that follows its rooms already: a buffered one after the join, or
   * one of the kinds that concern a connection by its organisation.
   */
  void replay(Message<String> event, ClientConnection connection) {
    MultiMap headers = event.headers();
    switch (headers.get(LiveEvents.KIND)) {
      case "message" ->
          offerTo(
              connection,
              roomOf(headers),
              Long.parseLong(headers.get(LiveEvents.SEQ)),
              event.body());
      case "messages" ->
          LiveEvents.storedIn(headers, event.body())
              .forEach(
                  message -> offerTo(connection, message.room(), message.seq(), message.frame()));
      case "committed" -> committed(event, connection);
      case "masked" -> revoked(event, connection);
      case "joined" -> joinedRoom(event, connection);
      case "organisation" -> {
        if (connection.user.organisationId().toString().equals(organisationsOf(headers))) {
          connection.sendLive(event.body());
        }
      }
      case "organisations" -> {
        boolean concerned =
            List.of(organisationsOf(headers).split(","))
                .contains(connection.user.organisationId().toString());
        if (concerned && !connection.user.userId().equals(userOf(headers))) {
          connection.sendLive(event.body());
        }
      }
      default -> {
        // typing, read markers and receipts are of the moment; account and session ends reached it
        // already
      }
    }
  }

  /** A stored message to the ready connections that follow its room. */
  private void offer(UUID room, long seq, String frame) {
    for (ClientConnection connection : connectionsOf(byRoom, room)) {
      if (connection.isReady()) {
        connection.cursors.get(room).offer(seq, frame);
      }
    }
  }

  /** A stored message to one connection, if it follows the room. */
  private static void offerTo(ClientConnection connection, UUID room, long seq, String frame) {
    RoomCursor cursor = connection.cursors.get(room);
    if (cursor != null) {
      cursor.offer(seq, frame);
    }
  }

  /** The room committed messages up to a seq whose frames may never come: the cursor reads them. */
  private static void committed(Message<String> event, ClientConnection connection) {
    RoomCursor cursor = connection.cursors.get(roomOf(event.headers()));
    if (cursor != null) {
      cursor.committed(Long.parseLong(event.headers().get(LiveEvents.SEQ)));
    }
  }

  /** The room's patient revoked consent: the connection masks it from now on and is told. */
  private static void revoked(Message<String> event, ClientConnection connection) {
    RoomCursor cursor = connection.cursors.get(roomOf(event.headers()));
    if (cursor != null) {
      cursor.mask();
      connection.sendLive(event.body());
    }
  }

  /** The connection's organisation joined a room: follow it from the seq it joined at. */
  private void joinedRoom(Message<String> event, ClientConnection connection) {
    MultiMap headers = event.headers();
    UUID room = roomOf(headers);
    String organisation = connection.user.organisationId().toString();
    boolean concerned = List.of(organisationsOf(headers).split(",")).contains(organisation);
    if (concerned && !connection.cursors.containsKey(room)) {
      // the room as the database showed it when the organisation joined, revoked or not
      JsonObject joined = new JsonObject(event.body()).getJsonObject("room");
      boolean revoked = joined.getValue("consentRevokedAt") != null;
      boolean encrypted = Boolean.TRUE.equals(joined.getBoolean("encrypted"));
      follow(connection, room, Long.parseLong(headers.get(LiveEvents.SEQ)), revoked, encrypted);
      connection.sendLive(event.body());
    }
  }

  private static UUID roomOf(MultiMap headers) {
    return UUID.fromString(headers.get(LiveEvents.ROOM));
  }

  private static UUID userOf(MultiMap headers) {
    return UUID.fromString(headers.get(LiveEvents.USER));
  }

  private static String organisationsOf(MultiMap headers) {
    return headers.get(LiveEvents.ORGANISATIONS);
  }

  private static List<ClientConnection> connectionsOf(
      Map<UUID, Set<ClientConnection>> index, UUID key) {
    Set<ClientConnection> found = index.get(key);
    return found == null ? List.of() : new ArrayList<>(found);
  }

  private static void remove(
      Map<UUID, Set<ClientConnection>> index, UUID key, ClientConnection connection) {
    Set<ClientConnection> set = index.get(key);
    if (set != null) {
      set.remove(connection);
      if (set.isEmpty()) {
        index.remove(key);
      }
    }
  }
}
