package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.KonsilNode;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.testkit.DirectMessage;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.Waiting;

/**
 * The batcher on its own, against the real database as the server's application role: sends that
 * arrive while a statement runs go together into the next one, each keeps its own outcome and its
 * room's order, and a statement that fails as a whole is run again one message at a time. A test
 * holds a room's row lock from a session of its own, so that the first statement waits and the
 * sends after it queue up in a known order.
 */
class TextBatcherTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static final OffsetDateTime SENT_AT = OffsetDateTime.of(2026, 3, 7, 9, 30, 0, 0, ZoneOffset.UTC);

  static Vertx vertx;
  static Pool pool;
  static Pool generic;
  static TestOrg practice;
  static TestOrg careHome;
  static Session anna;
  static Session tom;
  static Session eve;

  SimpleMeterRegistry metrics;
  TextBatcher batcher;
  List<List<LiveEvents.Stored>> published;

  @BeforeAll
  static void setUp() {
    practice = server.organisation("practice");
    careHome = server.organisation("care_home");
    TestOrg outsider = server.organisation("pharmacy");
    anna = server.login(practice.admin());
    tom = server.login(server.user(careHome));
    eve = server.login(outsider.admin());
    vertx = Vertx.vertx();
    DatabaseSettings app = DatabaseSettings.fromUrl(TestDatabase.applicationUrl(server.database()));
    // as the server's: few messages on generic plans, more on plans made for them (KonsilNode.pool)
    pool = KonsilNode.pool(vertx, app, 4, false);
    generic = KonsilNode.pool(vertx, app, 4, true);
  }

  @AfterAll
  static void tearDown() throws Exception {
    generic.close().await(15, TimeUnit.SECONDS);
    pool.close().await(15, TimeUnit.SECONDS);
    vertx.close().await(15, TimeUnit.SECONDS);
  }

  /** One statement at a time, so that what arrives while it runs waits for the next. */
  @BeforeEach
  void newBatcher() {
    metrics = new SimpleMeterRegistry();
    published = new CopyOnWriteArrayList<>();
    batcher = new TextBatcher(vertx, pool, generic, new MessageStore(), 1, published::add, metrics);
  }

  @AfterEach
  void closeMetrics() {
    metrics.close();
  }

  static Message text(Session sender, UUID orgId, UUID room, UUID clientMsgId, String content) {
    return new Message(
        room,
        0,
        UUID.randomUUID(),
        "text",
        content,
        SENT_AT,
        clientMsgId,
        sender.userId(),
        "Sender",
        orgId,
        "Organisation",
        false);
  }

  static Message fromAnna(UUID room, String content) {
    return text(anna, practice.id(), room, UUID.randomUUID(), content);
  }

  /** A session of the test's own that holds the room's row lock until it commits. */
  static Connection holdRoomLock(UUID room) throws Exception {
    DatabaseSettings db = server.database();
    Connection holder = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    holder.setAutoCommit(false);
    holder.createStatement().execute("SELECT 1 FROM rooms WHERE id = '" + room + "' FOR UPDATE");
    return holder;
  }

  /**
   * Hands the messages to the batcher while a session of the test's own holds the room's row lock,
   * then lets go: the first message's statement waits, and the others gather behind it.
   */
  static List<Future<MessageStore.Outcome>> storedBehindTheLock(
      TextBatcher batcher, UUID room, Message... messages) throws Exception {
    List<Future<MessageStore.Outcome>> outcomes = new ArrayList<>();
    try (Connection holder = holdRoomLock(room)) {
      for (Message message : messages) {
        outcomes.add(batcher.store(message));
      }
      holder.commit();
    }
    return outcomes;
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Throwable failureOf(Future<?> future) {
    try {
      future.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("succeeded: " + future.result());
  }

  long batches() {
    return metrics.get("konsil.messages.batch.size").summary().count();
  }

  double batchedMessages() {
    return metrics.get("konsil.messages.batch.size").summary().totalAmount();
  }

  double retriedBatches() {
    return metrics.get("konsil.messages.batch.retried").counter().count();
  }

  /** How many messages each live event the batcher published held. */
  List<Integer> publishedSizes() {
    return published.stream().map(List::size).toList();
  }

  /** The room and seq of every published message, in the order published. */
  List<String> publishedSeqs() {
    return published.stream()
        .flatMap(List::stream)
        .map(stored -> stored.room() + "#" + stored.seq())
        .toList();
  }

  static long count(String sql) {
    return server.count(sql);
  }

  @Test
  void sendsArrivingWhileAStatementRunsGoTogetherIntoTheNextNumberedInTheOrderTheyCame()
      throws Exception {
    UUID first = server.room(anna, careHome.id());
    UUID second = server.room(anna, careHome.id());
    List<Message> sent = new ArrayList<>();
    List<Future<MessageStore.Outcome>> outcomes = new ArrayList<>();
    try (Connection holder = holdRoomLock(first)) {
      sent.add(fromAnna(first, "waits for the lock"));
      outcomes.add(batcher.store(sent.get(0)));
      for (int i = 0; i < 9; i++) {
        Message message =
            i % 3 == 2
                ? text(tom, careHome.id(), second, UUID.randomUUID(), "second room " + i)
                : fromAnna(first, "first room " + i);
        sent.add(message);
        outcomes.add(batcher.store(message));
      }
      assertFalse(outcomes.get(0).isComplete(), "the first statement waits for the lock");
      holder.commit();
    }
    long[] next = {1, 1};
    for (int i = 0; i < sent.size(); i++) {
      MessageStore.Outcome outcome = await(outcomes.get(i));
      int room = sent.get(i).room().equals(first) ? 0 : 1;
      assertTrue(outcome.member());
      assertEquals(next[room]++, outcome.seq(), "each room numbered in the order sent: " + i);
    }
    assertEquals(2, batches(), "one statement for the first, one for the nine that waited");
    assertEquals(10.0, batchedMessages());
    assertEquals(List.of(1, 9), publishedSizes(), "one live event per statement");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < sent.size(); i++) {
      expected.add(sent.get(i).room() + "#" + await(outcomes.get(i)).seq());
    }
    assertEquals(expected, publishedSeqs(), "each message once, in the order stored");
    LiveEvents.Stored last = published.get(1).get(8);
    assertTrue(last.frame().contains("\"content\":\"second room 8\""), last.frame());
    assertTrue(last.frame().contains("\"seq\":3"), last.frame());
    assertEquals(7, count("SELECT last_seq FROM rooms WHERE id = '" + first + "'"));
    assertEquals(3, count("SELECT last_seq FROM rooms WHERE id = '" + second + "'"));
    assertEquals(
        7,
        count(
            "SELECT count(DISTINCT seq) FROM messages WHERE room_id = '"
                + first
                + "' AND seq BETWEEN 1 AND 7"),
        "gap-free");
  }

  @Test
  void aRefusalInABatchConcernsOnlyItsOwnMessage() throws Exception {
    UUID room = server.room(anna, careHome.id());
    List<Future<MessageStore.Outcome>> outcomes =
        storedBehindTheLock(
            batcher,
            room,
            fromAnna(room, "first"),
            fromAnna(room, "second"),
            text(eve, eve.user().organisationId(), room, UUID.randomUUID(), "x"),
            fromAnna(UUID.randomUUID(), "no such room"),
            fromAnna(room, "third"));
    assertEquals(1, await(outcomes.get(0)).seq());
    assertEquals(2, await(outcomes.get(1)).seq());
    MessageStore.Outcome outsider = await(outcomes.get(2));
    assertFalse(outsider.member(), "not a member of the room");
    assertFalse(outsider.stored());
    assertFalse(await(outcomes.get(3)).member(), "no such room");
    assertEquals(3, await(outcomes.get(4)).seq(), "numbered after the refused ones");
    assertEquals(0.0, retriedBatches(), "a refusal does not fail the statement");
    assertEquals(
        List.of(room + "#1", room + "#2", room + "#3"),
        publishedSeqs(),
        "only what was stored goes live");
    assertEquals(3, count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void aMessageTheDatabaseRefusesFailsAloneAndTheOthersAreStoredInTheirOrder() throws Exception {
    UUID room = server.room(anna, careHome.id());
    List<Future<MessageStore.Outcome>> outcomes =
        storedBehindTheLock(
            batcher,
            room,
            fromAnna(room, "waits for the lock"),
            fromAnna(room, "before"),
            // PostgreSQL refuses U+0000 in text, which fails the whole statement
            fromAnna(room, "broken \u0000 text"),
            fromAnna(room, "after"),
            fromAnna(room, "last"));
    assertEquals(1, await(outcomes.get(0)).seq());
    assertEquals(2, await(outcomes.get(1)).seq());
    PgException refused = assertInstanceOf(PgException.class, failureOf(outcomes.get(2)));
    assertEquals("22021", refused.getSqlState());
    assertEquals(3, await(outcomes.get(3)).seq());
    assertEquals(4, await(outcomes.get(4)).seq());
    assertEquals(1.0, retriedBatches(), "the batch of four was stored again one by one");
    assertEquals(2, batches());
    assertEquals(List.of(1, 1, 1, 1), publishedSizes(), "one by one, the refused one not");
    assertEquals(List.of(room + "#1", room + "#2", room + "#3", room + "#4"), publishedSeqs());
    assertEquals(
        List.of("waits for the lock", "before", "after", "last"),
        contentsOf(room),
        "stored once each, in the order sent");
  }

  @Test
  void theSameMessageTwiceInOneBatchIsStoredOnceAndTheSecondAnswersTheFirst() throws Exception {
    UUID room = server.room(anna, careHome.id());
    UUID clientMsgId = UUID.randomUUID();
    Message original = text(anna, practice.id(), room, clientMsgId, "sent twice");
    Message again = text(anna, practice.id(), room, clientMsgId, "sent twice");
    List<Future<MessageStore.Outcome>> outcomes =
        storedBehindTheLock(
            batcher,
            room,
            fromAnna(room, "waits for the lock"),
            original,
            again,
            fromAnna(room, "after"));
    MessageStore.Outcome first = await(outcomes.get(1));
    MessageStore.Outcome second = await(outcomes.get(2));
    assertEquals(2, first.seq());
    assertNull(first.earlier());
    assertFalse(second.stored(), "not stored again");
    assertEquals(2, second.earlier().seq(), "the first one's sequence number");
    assertEquals(original.id(), second.earlier().id());
    assertEquals(3, await(outcomes.get(3)).seq());
    assertEquals(1.0, retriedBatches());
    assertEquals(
        List.of(room + "#1", room + "#2", room + "#3"), publishedSeqs(), "the repeat not again");
    assertEquals(
        1, count("SELECT count(*) FROM messages WHERE client_msg_id = '" + clientMsgId + "'"));
  }

  @Test
  void aRetriedSendAnswersWhatTheFirstStoredAndStoresNothing() {
    UUID room = server.room(anna, careHome.id());
    UUID clientMsgId = UUID.randomUUID();
    Message original = text(anna, practice.id(), room, clientMsgId, "once");
    MessageStore.Outcome first = await(batcher.store(original));
    assertEquals(1, first.seq());

    MessageStore.Outcome retried =
        await(batcher.store(text(anna, practice.id(), room, clientMsgId, "once")));
    assertFalse(retried.stored());
    assertEquals(room, retried.earlier().room());
    assertEquals(1, retried.earlier().seq());
    assertEquals(original.id(), retried.earlier().id());
    assertEquals(
        1, count("SELECT count(*) FROM messages WHERE client_msg_id = '" + clientMsgId + "'"));
    assertEquals(1, count("SELECT last_seq FROM rooms WHERE id = '" + room + "'"));
  }

  /**
   * A batch whose answer was lost after it committed is sent again message by message, with the
   * same drafts. If its commit lands while the message's own statement waits for the room, that
   * statement cannot see the row yet and its insert collides on the message's id: the writer must
   * read that as "stored meanwhile" and answer the stored message, not an internal error.
   */
  @Test
  void aDraftCommittedWhileItsOwnRetryWaitsForTheRoomIsRecognisedAsStoredMeanwhile()
      throws Exception {
    UUID room = server.room(anna, careHome.id());
    Message draft = fromAnna(room, "Verband gewechselt");
    Future<MessageStore.Outcome> retried;
    try (Connection first = holdRoomLock(room)) {
      // the batch's statement, committing late: the same draft, stored under seq 1
      first
          .createStatement()
          .execute(
              new DirectMessage(
                      room,
                      draft.id(),
                      anna.userId(),
                      practice.id(),
                      draft.clientMsgId(),
                      draft.content())
                  .sql(SENT_AT.toInstant()));
      retried = batcher.store(draft);
      Waiting.until(
          () ->
              count(
                      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                          + " AND query LIKE '%WITH input AS%'")
                  > 0,
          "the retry waits for the room's lock");
      first.commit();
    }
    Throwable failure = failureOf(retried);
    assertTrue(MessageWriter.storedMeanwhile(failure), String.valueOf(failure));
    assertEquals("messages_id_key", assertInstanceOf(PgException.class, failure).getConstraint());
    assertEquals(1, count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
    assertEquals(1, count("SELECT last_seq FROM rooms WHERE id = '" + room + "'"));
    assertFalse(
        MessageWriter.storedMeanwhile(new IllegalStateException("messages_id_key")),
        "only the database's own unique violation");
  }

  @Test
  void aSendWhoseConnectionIsLostIsStoredAgainAloneAndAnswered() throws Exception {
    UUID room = server.room(anna, careHome.id());
    Message draft = fromAnna(room, "Bitte zurueckrufen");
    Future<MessageStore.Outcome> outcome;
    try (Connection holder = holdRoomLock(room)) {
      outcome = batcher.store(draft);
      String waiting =
          "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
              + " AND query LIKE '%WITH input AS%'";
      Waiting.until(() -> count("SELECT count(*) FROM (" + waiting + ") w") > 0, "waiting");
      // the database ends the statement's connection, as a restart or a network failure would
      TestDatabase.execute(
          server.database(), "SELECT pg_terminate_backend(pid) FROM (" + waiting + ") w");
      holder.commit();
    }
    MessageStore.Outcome stored = await(outcome);
    assertTrue(stored.stored(), "stored on another connection, not answered with an error");
    assertEquals(1, stored.seq());
    assertEquals(
        1,
        count("SELECT count(*) FROM messages WHERE client_msg_id = '" + draft.clientMsgId() + "'"));
    assertTrue(TextBatcher.connectionLost(new IllegalStateException("closed")));
    assertFalse(
        TextBatcher.connectionLost(new PgException("refused", "ERROR", "23514", "check")),
        "a refusal is not tried again");
  }

  @Test
  void aLiveEventThatCannotBePublishedDoesNotKeepTheSendersFromTheirAnswers() throws Exception {
    TextBatcher failing =
        new TextBatcher(
            vertx,
            pool,
            generic,
            new MessageStore(),
            1,
            stored -> {
              throw new IllegalStateException("the event bus is closed");
            },
            metrics);
    UUID room = server.room(anna, careHome.id());
    List<Future<MessageStore.Outcome>> outcomes =
        storedBehindTheLock(
            failing,
            room,
            fromAnna(room, "waits for the lock"),
            fromAnna(room, "second"),
            fromAnna(room, "third"));
    assertEquals(1, await(outcomes.get(0)).seq());
    assertEquals(2, await(outcomes.get(1)).seq());
    assertEquals(3, await(outcomes.get(2)).seq());
    assertEquals(List.of("waits for the lock", "second", "third"), contentsOf(room));
  }

  List<String> contentsOf(UUID room) {
    List<String> contents = new ArrayList<>();
    long last = count("SELECT last_seq FROM rooms WHERE id = '" + room + "'");
    DatabaseSettings db = server.database();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        var rows =
            c.createStatement()
                .executeQuery(
                    "SELECT content FROM messages WHERE room_id = '" + room + "' ORDER BY seq")) {
      while (rows.next()) {
        contents.add(rows.getString(1));
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertEquals(last, contents.size(), "the room's sequence ends at its last message");
    return contents;
  }
}
