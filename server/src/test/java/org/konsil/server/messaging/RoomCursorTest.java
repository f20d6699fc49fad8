package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.konsil.server.testkit.TestSocket;

/**
 * One connection's cursor over one room: live frames go out in sequence order, once each; a gap is
 * filled from storage before what follows it; a sync replays storage without repeating what this
 * connection already got. The cursor writes to a real WebSocket on loopback; the storage it reads
 * is a room held in memory whose reads the test can hold back or fail.
 */
class RoomCursorTest {

  static final UUID ROOM = UUID.randomUUID();
  static final OffsetDateTime SENT_AT = OffsetDateTime.of(2026, 3, 7, 9, 30, 0, 0, ZoneOffset.UTC);

  /** A server-side connection as the gateway holds it, with the event loop that owns it. */
  record Accepted(ClientConnection connection, Context loop) {}

  static Vertx vertx;
  static HttpServer http;
  static final LinkedBlockingQueue<Accepted> accepted = new LinkedBlockingQueue<>();

  StoredRoom stored;
  TestSocket client;
  ClientConnection connection;
  Context loop;
  RoomCursor cursor;
  int markers;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    http =
        vertx
            .createHttpServer()
            .webSocketHandler(
                ws ->
                    accepted.add(
                        new Accepted(new ClientConnection(ws, 1 << 24), Vertx.currentContext())))
            .listen(0, "127.0.0.1")
            .await(15, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopServer() throws Exception {
    vertx.close().await(15, TimeUnit.SECONDS);
  }

  @BeforeEach
  void connect() throws Exception {
    stored = new StoredRoom();
    client = TestSocket.connect(vertx, http.actualPort(), "/");
    Accepted server = accepted.poll(15, TimeUnit.SECONDS);
    if (server == null) {
      throw new AssertionError("the server did not accept the WebSocket");
    }
    connection = server.connection();
    loop = server.loop();
  }

  @AfterEach
  void disconnect() {
    client.close();
  }

  // ---- the room's storage, and what the cursor is handed ----

  static Message message(long seq, String kind, String content) {
    return new Message(
        ROOM,
        seq,
        UUID.randomUUID(),
        kind,
        content,
        SENT_AT,
        UUID.randomUUID(),
        null,
        null,
        null,
        null,
        false);
  }

  static Message text(long seq) {
    return message(seq, "text", "m" + seq);
  }

  /**
   * The room's stored messages. Reads may be held back until the test opens the gate (on the event
   * loop, where the cursor lives), or fail.
   */
  static final class StoredRoom implements RoomCursor.Fetch {
    final ConcurrentSkipListMap<Long, Message> messages = new ConcurrentSkipListMap<>();
    final List<long[]> ranges = new CopyOnWriteArrayList<>();
    volatile Promise<Void> gate;
    volatile RuntimeException failure;

    StoredRoom with(long from, long to) {
      LongStream.rangeClosed(from, to).forEach(seq -> messages.put(seq, text(seq)));
      return this;
    }

    @Override
    public Future<List<Message>> range(UUID room, long after, long upTo, int limit) {
      assertEquals(ROOM, room);
      ranges.add(new long[] {after, upTo, limit});
      if (failure != null) {
        return Future.failedFuture(failure);
      }
      Promise<Void> waitFor = gate;
      Future<Void> open = waitFor == null ? Future.succeededFuture() : waitFor.future();
      return open.map(
          v -> messages.subMap(after, false, upTo, true).values().stream().limit(limit).toList());
    }

    @Override
    public Future<Long> lastSeq(UUID room) {
      return Future.succeededFuture(messages.isEmpty() ? 0L : messages.lastKey());
    }
  }

  // ---- driving the cursor on its event loop ----

  /** Runs the action on the connection's event loop and waits until it has run. */
  void onLoop(Runnable action) {
    Promise<Void> done = Promise.promise();
    loop.runOnContext(
        v -> {
          try {
            action.run();
            done.complete();
          } catch (Throwable failure) {
            done.fail(failure);
          }
        });
    try {
      done.future().await(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  void follow(long delivered) {
    onLoop(() -> cursor = new RoomCursor(ROOM, connection, stored, delivered));
  }

  /** The grace timers the cursor started and the test has not run yet, with their delays. */
  final List<Runnable> graceTimers = new ArrayList<>();

  final List<Long> graceDelays = new ArrayList<>();

  /**
   * Follows the room as the gateway does, where a gap waits a while before it is read; the test
   * runs the waiting timer itself ({@link #graceEnds()}), so that no result depends on timing.
   */
  void followWithGrace(long delivered) {
    onLoop(
        () ->
            cursor =
                new RoomCursor(
                    ROOM,
                    connection,
                    stored,
                    delivered,
                    false,
                    (delayMs, action) -> {
                      graceDelays.add(delayMs);
                      graceTimers.add(action);
                    }));
  }

  /** The grace timers started so far fire, on the event loop. */
  void graceEnds() {
    onLoop(
        () -> {
          List<Runnable> due = new ArrayList<>(graceTimers);
          graceTimers.clear();
          due.forEach(Runnable::run);
        });
  }

  /** Live frames as the event bus hands them to the gateway, in the order given. */
  void offer(long... seqs) {
    onLoop(
        () -> {
          for (long seq : seqs) {
            cursor.offer(seq, text(seq).toFrame());
          }
        });
  }

  void onCursor(Consumer<RoomCursor> action) {
    onLoop(() -> action.accept(cursor));
  }

  /** Holds back every read of storage until {@link #openStorage()}. */
  void holdStorage() {
    stored.gate = Promise.promise();
  }

  void openStorage() {
    Promise<Void> gate = stored.gate;
    stored.gate = null;
    onLoop(gate::complete);
  }

  /**
   * Every frame the client receives from now until a marker written through the same connection
   * right now. The socket keeps order, so what is missing here was not sent before the marker.
   */
  List<JsonObject> framesSoFar() {
    String marker = "marker-" + ++markers;
    // a pong with the marker as its ref: a frame the contract allows, which the cursor never sends
    onLoop(
        () ->
            connection.sendLive(new JsonObject().put("type", "pong").put("ref", marker).encode()));
    List<JsonObject> frames = new ArrayList<>();
    for (JsonObject frame = client.next();
        !("pong".equals(frame.getString("type")) && marker.equals(frame.getString("ref")));
        frame = client.next()) {
      frames.add(frame);
    }
    return frames;
  }

  /** The sequence numbers of the frames, "synced" frames written as -seq. */
  static List<Long> seqs(List<JsonObject> frames) {
    return frames.stream()
        .map(
            frame ->
                switch (frame.getString("type")) {
                  case "message" -> frame.getLong("seq");
                  case "synced" -> -frame.getLong("seq");
                  default -> throw new AssertionError("unexpected frame " + frame.encode());
                })
        .toList();
  }

  List<Long> seqsSoFar() {
    return seqs(framesSoFar());
  }

  List<Long> nextSeqs(int count) {
    List<JsonObject> frames = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      frames.add(client.next());
    }
    return seqs(frames);
  }

  static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  static List<Long> concat(List<Long> first, Long... more) {
    List<Long> all = new ArrayList<>(first);
    all.addAll(List.of(more));
    return all;
  }

  long delivered() {
    long[] seq = new long[1];
    onCursor(cursor -> seq[0] = cursor.delivered());
    return seq[0];
  }

  // ---- live frames ----

  @Test
  void framesThatArriveInOrderArePushedAtOnceWithoutReadingStorage() {
    follow(0);
    offer(1, 2, 3);
    assertEquals(List.of(1L, 2L, 3L), seqsSoFar());
    assertEquals(3, delivered());
    assertTrue(stored.ranges.isEmpty(), "no gap, no read");
  }

  @Test
  void aFrameAtOrBelowWhatWasDeliveredIsDroppedSoNothingArrivesTwice() {
    follow(5);
    offer(3, 5, 6, 6, 4, 6);
    assertEquals(List.of(6L), seqsSoFar());
    assertEquals(6, delivered());
  }

  @Test
  void aFrameAheadOfAGapWaitsUntilTheMissingMessagesAreReadFromStorage() {
    stored.with(1, 4);
    holdStorage();
    follow(0);
    offer(4);
    assertEquals(List.of(), seqsSoFar(), "nothing goes out while the gap is being read");
    assertEquals(0, delivered());

    openStorage();
    assertEquals(List.of(1L, 2L, 3L, 4L), nextSeqs(4));
    assertEquals(List.of(), seqsSoFar());
    assertEquals(1, stored.ranges.size());
    long[] read = stored.ranges.get(0);
    assertEquals(0, read[0], "after what was delivered");
    assertEquals(3, read[1], "up to the held frame, which comes live");
  }

  @Test
  void framesOutOfOrderWhileAGapIsReadGoOutOnceEachInOrder() {
    stored.with(1, 7);
    holdStorage();
    follow(0);
    offer(3, 6, 5, 5, 4, 3, 7);
    assertEquals(List.of(), seqsSoFar());

    openStorage();
    assertEquals(range(1, 7), nextSeqs(7));
    assertEquals(List.of(), seqsSoFar(), "no duplicate after the last");
    assertEquals(7, delivered());
  }

  @Test
  void aGapWiderThanAPageIsReadPageByPage() {
    long last = 2L * RoomCursor.PAGE + 51;
    stored.with(1, last);
    follow(0);
    offer(last);
    assertEquals(range(1, last), nextSeqs((int) last));
    assertEquals(List.of(), seqsSoFar());
    assertEquals(3, stored.ranges.size());
    for (long[] read : stored.ranges) {
      assertEquals(RoomCursor.PAGE, read[2], "reads are bounded");
    }
  }

  @Test
  void aMessageMissingFromStorageClosesTheConnectionForAResync() {
    stored.with(1, 2).with(4, 4);
    follow(0);
    offer(4);
    assertEquals(List.of(1L, 2L), nextSeqs(2), "what storage has, up to the hole");
    assertEquals(1011, client.awaitClose());
    assertEquals("resync required", client.raw().closeReason());
  }

  @Test
  void storageThatStartsAfterTheGapClosesTheConnectionWithoutSendingAnything() {
    stored.with(2, 3);
    follow(0);
    offer(3);
    assertEquals(1011, client.awaitClose());
    assertEquals(List.of(), client.remaining(), "nothing out of order went out before the close");
  }

  @Test
  void aFailedReadClosesTheConnectionForAResync() {
    stored.failure = new IllegalStateException("database gone");
    follow(0);
    offer(2);
    assertEquals(1011, client.awaitClose());
    assertEquals("resync required", client.raw().closeReason());
  }

  @Test
  void moreThanTenThousandHeldFramesCloseTheConnectionAsTooFarBehind() {
    holdStorage();
    follow(0);
    offer(LongStream.rangeClosed(2, 10_001).toArray());
    assertEquals(List.of(), seqsSoFar(), "ten thousand held: still open, nothing sent");
    assertFalse(client.isClosed());

    offer(10_002);
    assertEquals(4008, client.awaitClose());
    assertEquals("too far behind; reconnect and sync", client.raw().closeReason());
  }

  @Test
  void framesHeldWhenTheConsentIsRevokedGoOutMaskedAndNoticesStayReadable() {
    stored.with(1, 1);
    holdStorage();
    follow(0);
    onLoop(
        () -> {
          cursor.offer(2, text(2).toFrame());
          cursor.offer(3, message(3, "system", "{\"notice\":\"consent_revoked\"}").toFrame());
          cursor.mask();
        });
    openStorage();

    JsonObject fromStorage = client.next("message");
    assertEquals(1, fromStorage.getLong("seq"));
    assertEquals("m1", fromStorage.getString("content"), "as storage answers it");
    JsonObject held = client.next("message");
    assertEquals(2, held.getLong("seq"));
    assertNull(held.getString("content"));
    assertTrue(held.getBoolean("masked"));
    JsonObject notice = client.next("message");
    assertEquals(3, notice.getLong("seq"));
    assertEquals("{\"notice\":\"consent_revoked\"}", notice.getString("content"));
    assertFalse(notice.getBoolean("masked"));
  }

  @Test
  void aMissingFrameThatArrivesLiveWithinTheGraceIsNotReadFromStorage() {
    stored.with(1, 3);
    followWithGrace(0);
    offer(2);
    offer(3);
    assertEquals(List.of(), seqsSoFar(), "held while the gap is open");
    assertEquals(List.of(RoomCursor.GAP_GRACE_MS), graceDelays, "one timer for the gap");
    offer(1);
    assertEquals(List.of(1L, 2L, 3L), seqsSoFar());
    graceEnds();
    assertEquals(List.of(), seqsSoFar(), "nothing more when the grace ends");
    assertEquals(3, delivered());
    assertTrue(stored.ranges.isEmpty(), "the gap closed live, nothing was read");
  }

  @Test
  void aGapStillOpenAfterTheGraceIsReadFromStorage() {
    stored.with(1, 4);
    followWithGrace(0);
    offer(4);
    assertEquals(List.of(), seqsSoFar(), "held during the grace");
    assertTrue(stored.ranges.isEmpty(), "not read during the grace");
    graceEnds();
    assertEquals(List.of(1L, 2L, 3L, 4L), nextSeqs(4));
    assertEquals(1, stored.ranges.size());
    assertEquals(3, stored.ranges.get(0)[1], "up to the held frame");
    offer(5);
    assertEquals(List.of(5L), seqsSoFar());
  }

  @Test
  void gapsThatStayOpenAfterPartOfThemArrivedLiveAreReadFromWhatIsStillMissing() {
    stored.with(1, 5);
    followWithGrace(0);
    offer(3, 5);
    offer(1);
    assertEquals(List.of(1L), seqsSoFar(), "1 arrived live; 2 and 4 are still missing");
    graceEnds();
    assertEquals(List.of(2L, 3L), nextSeqs(2));
    assertEquals(List.of(), seqsSoFar(), "4 gets its own grace");
    graceEnds();
    assertEquals(List.of(4L, 5L), nextSeqs(2));
    assertEquals(List.of(), seqsSoFar());
    assertEquals(2, stored.ranges.size(), "each gap read once: " + stored.ranges.size());
    assertEquals(List.of(1L, 2L), List.of(stored.ranges.get(0)[0], stored.ranges.get(0)[1]));
    assertEquals(List.of(3L, 4L), List.of(stored.ranges.get(1)[0], stored.ranges.get(1)[1]));
  }

  // ---- messages known to be committed whose frames never came ----

  /** The room committed messages up to seq, frames aside (a send answered as a duplicate). */
  void committed(long seq) {
    onCursor(cursor -> cursor.committed(seq));
  }

  @Test
  void messagesCommittedWithoutAFrameAreReadFromStorageAfterTheGrace() {
    stored.with(1, 3);
    followWithGrace(1);
    committed(3);
    assertEquals(List.of(), seqsSoFar(), "the frames get the grace to arrive live");
    assertTrue(stored.ranges.isEmpty());
    graceEnds();
    assertEquals(List.of(2L, 3L), nextSeqs(2));
    assertEquals(1, stored.ranges.size());
    assertEquals(List.of(1L, 3L), List.of(stored.ranges.get(0)[0], stored.ranges.get(0)[1]));
    offer(3, 4);
    assertEquals(List.of(4L), seqsSoFar(), "nothing twice, the next live frame at once");
  }

  @Test
  void aCommittedMessageWhoseFrameArrivesWithinTheGraceIsNotReadFromStorage() {
    stored.with(1, 2);
    followWithGrace(0);
    committed(2);
    offer(1, 2);
    assertEquals(List.of(1L, 2L), seqsSoFar());
    graceEnds();
    assertEquals(List.of(), seqsSoFar());
    assertTrue(stored.ranges.isEmpty(), "everything came live");
  }

  @Test
  void aCommitAtOrBelowWhatWasDeliveredStartsNothing() {
    stored.with(1, 4);
    followWithGrace(4);
    committed(3);
    committed(4);
    assertTrue(graceDelays.isEmpty(), "no timer");
    graceEnds();
    assertEquals(List.of(), seqsSoFar());
    assertTrue(stored.ranges.isEmpty());
  }

  @Test
  void aCommitLearnedDuringAGapFillIsReadAfterItPageByPage() {
    long last = RoomCursor.PAGE + 7;
    stored.with(1, last);
    holdStorage();
    follow(0);
    offer(2);
    committed(last);
    openStorage();
    assertEquals(range(1, last), nextSeqs((int) last));
    assertEquals(List.of(), seqsSoFar());
    assertEquals(last, delivered());
  }

  // ---- sync ----

  @Test
  void syncReplaysStorageAndAnswersSyncedWithTheLastSeqAndTheRef() {
    stored.with(1, 5);
    follow(5);
    onCursor(cursor -> cursor.sync(0, "r1"));
    List<JsonObject> frames = framesSoFar();
    assertEquals(concat(range(1, 5), -5L), seqs(frames));
    JsonObject synced = frames.get(5);
    assertEquals(ROOM.toString(), synced.getString("room"));
    assertEquals("r1", synced.getString("ref"));

    onCursor(cursor -> cursor.sync(3, null));
    List<JsonObject> again = framesSoFar();
    assertEquals(List.of(4L, 5L, -5L), seqs(again));
    assertFalse(again.get(2).containsKey("ref"), "no ref asked, none echoed");
  }

  @Test
  void syncLeavesOutWhatWasPushedLiveOnThisConnection() {
    stored.with(1, 6);
    follow(3);
    offer(4, 5);
    assertEquals(List.of(4L, 5L), seqsSoFar());

    onCursor(cursor -> cursor.sync(0, "s"));
    assertEquals(List.of(1L, 2L, 3L, 6L, -6L), seqsSoFar(), "4 and 5 came live already");
    offer(6);
    assertEquals(List.of(), seqsSoFar(), "6 came with the sync");
    offer(7);
    assertEquals(List.of(7L), seqsSoFar());
  }

  @Test
  void whatTheClientSaysItHasCountsAsDeliveredButNotBeyondTheRoom() {
    stored.with(1, 5);
    follow(2);
    onCursor(cursor -> cursor.sync(4, null));
    assertEquals(List.of(5L, -5L), seqsSoFar());
    offer(3, 4, 5);
    assertEquals(List.of(), seqsSoFar(), "the client has these");

    // a client that claims more than the room holds must still get what is committed next
    onCursor(cursor -> cursor.sync(50, null));
    assertEquals(List.of(-5L), seqsSoFar());
    assertEquals(5, delivered());
    offer(6);
    assertEquals(List.of(6L), seqsSoFar());
  }

  @Test
  void liveFramesDuringASyncWaitAndAreNotRepeated() {
    stored.with(1, 7);
    holdStorage();
    follow(5);
    onCursor(cursor -> cursor.sync(0, "s"));
    offer(6, 7);
    assertEquals(List.of(), seqsSoFar(), "nothing before the replay");

    openStorage();
    assertEquals(concat(range(1, 7), -7L), nextSeqs(8));
    assertEquals(List.of(), seqsSoFar(), "6 and 7 went out once, with the replay");
  }

  @Test
  void syncsAskedTogetherAreAnsweredInTheOrderAsked() {
    stored.with(1, 3);
    holdStorage();
    follow(0);
    onCursor(
        cursor -> {
          cursor.sync(0, "a");
          // asked before the first is answered: were it started at once, counting 1 and 2 as the
          // client's would keep them out of the first replay
          cursor.sync(2, "b");
        });
    openStorage();
    List<JsonObject> frames = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      frames.add(client.next());
    }
    assertEquals(List.of(1L, 2L, 3L, -3L, -3L), seqs(frames), "the second has nothing new");
    assertEquals("a", frames.get(3).getString("ref"));
    assertEquals("b", frames.get(4).getString("ref"));
    assertEquals(List.of(), seqsSoFar());
  }

  @Test
  void aSyncAskedForDuringAGapFillRunsAfterItWithoutDuplicates() {
    stored.with(1, 3);
    holdStorage();
    follow(0);
    offer(3);
    onCursor(cursor -> cursor.sync(0, "x"));
    openStorage();
    assertEquals(List.of(1L, 2L, 3L, -3L), nextSeqs(4));
    assertEquals(List.of(), seqsSoFar(), "the held 3 is not sent after the sync sent it");
  }

  @Test
  void aSyncLongerThanAPageArrivesWholeAndInOrder() {
    long last = 2L * RoomCursor.PAGE + 50;
    stored.with(1, last);
    follow(0);
    onCursor(cursor -> cursor.sync(0, null));
    assertEquals(concat(range(1, last), -last), nextSeqs((int) last + 1));
    assertEquals(3, stored.ranges.size());
    assertEquals(last, delivered());
  }
}
