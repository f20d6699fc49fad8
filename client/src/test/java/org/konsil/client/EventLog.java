package org.konsil.client;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.RoomMessage;

/**
 * Every event of a client, in the order it came: a test waits for the next one of a kind (events of
 * other kinds stay readable), or looks at all messages of a room so far.
 */
final class EventLog implements Consumer<ClientEvent> {

  private static final long WAIT_SECONDS = 20;

  private final LinkedBlockingQueue<ClientEvent> arriving = new LinkedBlockingQueue<>();
  private final List<ClientEvent> unread = new ArrayList<>();
  private final List<ClientEvent> all = new ArrayList<>();

  @Override
  public void accept(ClientEvent event) {
    synchronized (all) {
      all.add(event);
    }
    arriving.add(event);
  }

  /** The next event of this type that matches; earlier events of other kinds stay unread. */
  <T extends ClientEvent> T next(Class<T> type, Predicate<T> match) {
    for (var it = unread.iterator(); it.hasNext(); ) {
      ClientEvent event = it.next();
      if (type.isInstance(event) && match.test(type.cast(event))) {
        it.remove();
        return type.cast(event);
      }
    }
    long deadline = System.currentTimeMillis() + WAIT_SECONDS * 1000;
    while (true) {
      ClientEvent event;
      try {
        event = arriving.poll(deadline - System.currentTimeMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      if (event == null) {
        throw new AssertionError(
            "no " + type.getSimpleName() + " within " + WAIT_SECONDS + " s; unread: " + unread);
      }
      if (type.isInstance(event) && match.test(type.cast(event))) {
        return type.cast(event);
      }
      unread.add(event);
    }
  }

  <T extends ClientEvent> T next(Class<T> type) {
    return next(type, event -> true);
  }

  /** The next n messages of the room. */
  List<RoomMessage> messages(UUID room, int n) {
    List<RoomMessage> messages = new ArrayList<>();
    while (messages.size() < n) {
      messages.add(next(RoomMessage.class, message -> message.room().equals(room)));
    }
    return messages;
  }

  /** Every message of the room delivered so far, in delivery order. */
  List<RoomMessage> allMessages(UUID room) {
    List<RoomMessage> messages = new ArrayList<>();
    synchronized (all) {
      for (ClientEvent event : all) {
        if (event instanceof RoomMessage message && message.room().equals(room)) {
          messages.add(message);
        }
      }
    }
    return messages;
  }

  /** Every event of the type so far. */
  <T extends ClientEvent> List<T> all(Class<T> type) {
    List<T> events = new ArrayList<>();
    synchronized (all) {
      for (ClientEvent event : all) {
        if (type.isInstance(event)) {
          events.add(type.cast(event));
        }
      }
    }
    return events;
  }
}
