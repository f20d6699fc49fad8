package org.konsil.server.live;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.Collection;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * What the WebSocket gateways of every node need to hear about: stored messages, typing, new room
 * memberships, read markers, and users or sessions whose connections must close. Published on the
 * (clustered) event bus; the frame text is encoded once by the publisher.
 */
public final class LiveEvents {

  public static final String ADDRESS = "konsil.live";
  public static final String KIND = "kind";
  public static final String ROOM = "room";
  public static final String SEQ = "seq";
  public static final String USER = "user";
  public static final String SESSION = "session";
  public static final String ORGANISATIONS = "organisations";
  public static final String DEVICE = "device";

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
