package org.konsil.server.live;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the WebSocket gateways of every node need to hear about: stored messages, typing, new room
 * memberships, read markers, and users or sessions whose connections must close. Published on the
 * (clustered) event bus; the frame text is encoded once by the publisher.
 */
public final class LiveEvents {

  private static final Logger LOG = LoggerFactory.getLogger(LiveEvents.class);

  public static final String ADDRESS = "konsil.live";
  public static final String KIND = "kind";
  public static final String ROOM = "room";
  public static final String SEQ = "seq";
  public static final String USER = "user";
  public static final String SESSION = "session";
  public static final String ORGANISATIONS = "organisations";
  public static final String DEVICE = "device";
  public static final String LENGTHS = "lengths";

  /** A stored message's live frame, with its room and sequence number. */
  public record Stored(UUID room, long seq, String frame) {}

  private final EventBus bus;

  public LiveEvents(EventBus bus) {
    this.bus = bus;
  }

  public void message(UUID room, long seq, String frame) {
    publish(
        frame,
        new DeliveryOptions()
            .addHeader(KIND, "message")
            .addHeader(ROOM, room.toString())
            .addHeader(SEQ, Long.toString(seq)));
  }

  /**
   * The room's messages up to {@code seq} are committed, frames aside: sent when a send is answered
   * as a duplicate of an earlier one, whose own live event may never have gone out (its statement
   * committed but its answer was lost, and the batcher or the client sent it again). Connections
   * behind {@code seq} read what they miss from the database.
   */
  public void committed(UUID room, long seq) {
    publish(
        "",
        new DeliveryOptions()
            .addHeader(KIND, "committed")
            .addHeader(ROOM, room.toString())
            .addHeader(SEQ, Long.toString(seq)));
  }

  /**
   * Messages stored by one statement, as one event of kind {@code messages}: the rooms, sequence
   * numbers and frame lengths in headers (comma-separated, in the same order), the frames one after
   * the other in the body. One event per statement instead of one per message: under load a
   * statement stores a few hundred messages, and every event costs each gateway a task and every
   * other node a write. A single message goes as a {@code message} event.
   */
  public void messages(List<Stored> stored) {
    if (stored.isEmpty()) {
      return;
    }
    if (stored.size() == 1) {
      Stored one = stored.get(0);
      message(one.room(), one.seq(), one.frame());
      return;
    }
    StringBuilder rooms = new StringBuilder(stored.size() * 37);
    StringBuilder seqs = new StringBuilder(stored.size() * 8);
    StringBuilder lengths = new StringBuilder(stored.size() * 4);
    int size = 0;
    for (Stored message : stored) {
      size += message.frame().length();
    }
    StringBuilder frames = new StringBuilder(size);
    for (Stored message : stored) {
      String separator = frames.isEmpty() ? "" : ",";
      rooms.append(separator).append(message.room());
      seqs.append(separator).append(message.seq());
      lengths.append(separator).append(message.frame().length());
      frames.append(message.frame());
    }
    publish(
        frames.toString(),
        new DeliveryOptions()
            .addHeader(KIND, "messages")
            .addHeader(ROOM, rooms.toString())
            .addHeader(SEQ, seqs.toString())
            .addHeader(LENGTHS, lengths.toString()));
  }

  /**
   * The messages of a {@code messages} event ({@link #messages}), in the order they were stored;
   * none, with a warning, when the event does not hold together (only a faulty node sends such).
   */
  public static List<Stored> storedIn(MultiMap headers, String frames) {
    try {
      String[] rooms = headers.get(ROOM).split(",");
      String[] seqs = headers.get(SEQ).split(",");
      String[] lengths = headers.get(LENGTHS).split(",");
      if (rooms.length != seqs.length || rooms.length != lengths.length) {
        throw new IllegalArgumentException("headers of different lengths");
      }
      List<Stored> stored = new ArrayList<>(rooms.length);
      int at = 0;
      for (int i = 0; i < rooms.length; i++) {
        int end = at + Integer.parseInt(lengths[i]);
        stored.add(
            new Stored(
                UUID.fromString(rooms[i]), Long.parseLong(seqs[i]), frames.substring(at, end)));
        at = end;
      }
      if (at != frames.length()) {
        throw new IllegalArgumentException("frames longer than their lengths");
      }
      return stored;
    } catch (RuntimeException e) {
      LOG.warn("a messages event that does not hold together was dropped: {}", e.toString());
      return List.of();
    }
  }

  public void typing(UUID room, UUID user, String frame) {
    publish(
        frame,
        new DeliveryOptions()
            .addHeader(KIND, "typing")
            .addHeader(ROOM, room.toString())
            .addHeader(USER, user.toString()));
  }

  /** How far a user has read a room, for the room's other users' connections. */
  public void receipt(UUID room, UUID user, String frame) {
    publish(
        frame,
        new DeliveryOptions()
            .addHeader(KIND, "receipt")
            .addHeader(ROOM, room.toString())
            .addHeader(USER, user.toString()));
  }

  public void readMarker(UUID user, String frame) {
    publish(frame, new DeliveryOptions().addHeader(KIND, "read").addHeader(USER, user.toString()));
  }

  /** A frame for every connection of one user (their devices changed, their prekeys run low). */
  public void toUser(UUID user, String frame) {
    publish(frame, new DeliveryOptions().addHeader(KIND, "user").addHeader(USER, user.toString()));
  }

  /** Organisations that joined a room: their users' connections start following it from seq. */
  public void joined(UUID room, long seq, Collection<UUID> organisations, String frame) {
    publish(
        frame,
        new DeliveryOptions()
            .addHeader(KIND, "joined")
            .addHeader(ROOM, room.toString())
            .addHeader(SEQ, Long.toString(seq))
            .addHeader(
                ORGANISATIONS,
                organisations.stream().map(UUID::toString).collect(Collectors.joining(","))));
  }

  /** A frame for the connected users of one organisation (a registration waiting for it). */
  public void toOrganisation(UUID organisation, String frame) {
    publish(
        frame,
        new DeliveryOptions()
            .addHeader(KIND, "organisation")
            .addHeader(ORGANISATIONS, organisation.toString()));
  }

  /** A room whose patient revoked consent: its messages are shown masked from now on. */
  public void roomMasked(UUID room, String frame) {
    publish(
        frame, new DeliveryOptions().addHeader(KIND, "masked").addHeader(ROOM, room.toString()));
  }

  /**
   * A frame for the connected users of several organisations but one user (whose own connections
   * hear of it otherwise): a user's devices changed, told to the members of their encrypted rooms.
   */
  public void toOrganisationsExcept(Collection<UUID> organisations, UUID except, String frame) {
    if (organisations.isEmpty()) {
      return;
    }
    publish(
        frame,
        new DeliveryOptions()
            .addHeader(KIND, "organisations")
            .addHeader(USER, except.toString())
            .addHeader(
                ORGANISATIONS,
                organisations.stream().map(UUID::toString).collect(Collectors.joining(","))));
  }

  /** A user's device was removed: the connections that speak for it end. */
  public void deviceRemoved(UUID user, int device) {
    publish(
        "",
        new DeliveryOptions()
            .addHeader(KIND, "device-removed")
            .addHeader(USER, user.toString())
            .addHeader(DEVICE, Integer.toString(device)));
  }

  public void userDisabled(UUID user) {
    publish(
        "",
        new DeliveryOptions().addHeader(KIND, "user-disabled").addHeader(USER, user.toString()));
  }

  public void sessionRevoked(UUID session) {
    publish(
        "",
        new DeliveryOptions()
            .addHeader(KIND, "session-revoked")
            .addHeader(SESSION, session.toString()));
  }

  private void publish(String frame, DeliveryOptions options) {
    bus.publish(ADDRESS, frame, options.setLocalOnly(false));
  }
}
