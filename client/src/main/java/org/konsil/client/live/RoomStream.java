package org.konsil.client.live;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.konsil.client.event.RoomMessage;

/**
 * One room's messages on their way to the integrator: each sequence number once, in order. A
 * message ahead of a missing one waits until the missing ones arrive (a replay after a reconnect
 * may come after newer live messages); one at or below the delivered position is dropped.
 */
final class RoomStream {

  private long delivered;
  private final TreeMap<Long, RoomMessage> waiting = new TreeMap<>();
  private long dropped;

  RoomStream(long delivered) {
    this.delivered = delivered;
  }

  long delivered() {
    return delivered;
  }

  /** Messages dropped as already delivered (repeats of a replay). */
  long dropped() {
    return dropped;
  }

  /** Takes a message; answers the messages that can be delivered now, in order. */
  List<RoomMessage> offer(RoomMessage message) {
    if (message.seq() <= delivered) {
      dropped++;
      return List.of();
    }
    waiting.put(message.seq(), message);
    List<RoomMessage> ready = new ArrayList<>();
    while (!waiting.isEmpty() && waiting.firstKey() == delivered + 1) {
      RoomMessage next = waiting.pollFirstEntry().getValue();
      delivered = next.seq();
      ready.add(next);
    }
    return ready;
  }
}
