package org.konsil.server.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The messages a statement stored, as one live event on a real event bus, and back. */
class LiveEventsTest {

  Vertx vertx;
  LiveEvents live;
  LinkedBlockingQueue<Message<String>> heard = new LinkedBlockingQueue<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    vertx
        .eventBus()
        .<String>consumer(LiveEvents.ADDRESS, heard::add)
        .completion()
        .await(10, TimeUnit.SECONDS);
    live = new LiveEvents(vertx.eventBus());
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Message<String> next() throws InterruptedException {
    Message<String> event = heard.poll(10, TimeUnit.SECONDS);
    assertTrue(event != null, "an event arrived");
    return event;
  }

  @Test
  void severalMessagesTravelAsOneEventAndComeBackInOrder() throws Exception {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    List<LiveEvents.Stored> stored =
        List.of(
            new LiveEvents.Stored(a, 7, "{\"content\":\"Blutdruck, 140/90\"}"),
            new LiveEvents.Stored(b, 1, "{\"content\":\"Größe ändern 😀\"}"),
            new LiveEvents.Stored(a, 8, ""),
            new LiveEvents.Stored(a, 9, "{\"content\":\",,,\"}"));

    live.messages(stored);

    Message<String> event = next();
    assertEquals("messages", event.headers().get(LiveEvents.KIND));
    assertEquals(stored, LiveEvents.storedIn(event.headers(), event.body()));
    assertTrue(heard.isEmpty(), "one event for the whole statement");
  }

  @Test
  void oneMessageIsAMessageEventAndNoneIsNoEvent() throws Exception {
    UUID room = UUID.randomUUID();
    live.messages(List.of());
    live.messages(List.of(new LiveEvents.Stored(room, 3, "{\"seq\":3}")));

    Message<String> event = next();
    assertEquals("message", event.headers().get(LiveEvents.KIND));
    assertEquals(room.toString(), event.headers().get(LiveEvents.ROOM));
    assertEquals("3", event.headers().get(LiveEvents.SEQ));
    assertEquals("{\"seq\":3}", event.body());
  }

  @Test
  void anEventThatDoesNotHoldTogetherGivesNoMessages() {
    String room = UUID.randomUUID().toString();
    MultiMap fewerSeqs =
        MultiMap.caseInsensitiveMultiMap()
            .add(LiveEvents.ROOM, room + "," + room)
            .add(LiveEvents.SEQ, "1")
            .add(LiveEvents.LENGTHS, "1,1");
    MultiMap longerBody =
        MultiMap.caseInsensitiveMultiMap()
            .add(LiveEvents.ROOM, room)
            .add(LiveEvents.SEQ, "1")
            .add(LiveEvents.LENGTHS, "1");
    MultiMap shorterBody =
        MultiMap.caseInsensitiveMultiMap()
            .add(LiveEvents.ROOM, room)
            .add(LiveEvents.SEQ, "1")
            .add(LiveEvents.LENGTHS, "5");
    MultiMap noRoom =
        MultiMap.caseInsensitiveMultiMap()
            .add(LiveEvents.ROOM, "not-a-room")
            .add(LiveEvents.SEQ, "1")
            .add(LiveEvents.LENGTHS, "1");

    assertEquals(List.of(), LiveEvents.storedIn(fewerSeqs, "ab"));
    assertEquals(List.of(), LiveEvents.storedIn(longerBody, "ab"));
    assertEquals(List.of(), LiveEvents.storedIn(shorterBody, "ab"));
    assertEquals(List.of(), LiveEvents.storedIn(noRoom, "a"));
    assertEquals(List.of(), LiveEvents.storedIn(MultiMap.caseInsensitiveMultiMap(), "a"));
  }
}
