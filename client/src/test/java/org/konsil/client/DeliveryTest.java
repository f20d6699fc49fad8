package org.konsil.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.konsil.client.TestClients.await;
import static org.konsil.client.TestClients.failure;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.client.event.ConnectionLost;
import org.konsil.client.event.ConnectionReady;
import org.konsil.client.event.RoomJoined;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.live.Ack;
import org.konsil.client.live.RoomCursors;
import org.konsil.client.live.SendRefusedException;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;
import org.konsil.server.testkit.Waiting;

/**
 * Two client-library instances in a plain room on a real server: every message arrives once and in
 * order, also across disconnects, dropped connections and a new client instance; a resend with the
 * same clientMsgId is stored once; a refused send fails.
 */
class DeliveryTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    await(vertx.close());
  }

  /** Anna of a practice and Bob of a care home, each with a client, and a room of the two. */
  record Pair(
      KonsilClient anna,
      EventLog annaLog,
      KonsilClient bob,
      EventLog bobLog,
      UUID room,
      Session annaSession,
      UUID careHome) {}

  static Pair pair() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestUser anna = server.user(practice, "Anna Berger");
    TestUser bob = server.user(careHome, "Bob Lindner");
    EventLog annaLog = new EventLog();
    EventLog bobLog = new EventLog();
    KonsilClient annaClient = loggedIn(anna, annaLog, RoomCursors.inMemory());
    KonsilClient bobClient = loggedIn(bob, bobLog, RoomCursors.inMemory());
    await(annaClient.connect());
    await(bobClient.connect());
    Session annaSession = server.login(anna);
    UUID room = server.room(annaSession, careHome.id());
    annaLog.next(RoomJoined.class, joined -> joined.room().equals(room));
    bobLog.next(RoomJoined.class, joined -> joined.room().equals(room));
    return new Pair(annaClient, annaLog, bobClient, bobLog, room, annaSession, careHome.id());
  }

  static KonsilClient loggedIn(TestUser user, EventLog log, RoomCursors cursors) {
    KonsilClient client =
        TestClients.client(vertx, TestClients.options(server).setCursors(cursors), log);
    await(client.login(user.email(), user.password(), SecondFactorPrompt.NONE));
    return client;
  }

  @Test
  void messagesArriveOnceAndInOrderAtBothClients() {
    Pair pair = pair();
    List<Future<Ack>> acks = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      acks.add(pair.anna().send(pair.room(), "Nachricht " + i));
    }
    for (int i = 1; i <= 5; i++) {
      Ack ack = await(acks.get(i - 1));
      assertEquals(i, ack.seq(), "acks in the order of the sends");
      assertFalse(ack.duplicate());
    }
    List<RoomMessage> atBob = pair.bobLog().messages(pair.room(), 5);
    for (int i = 1; i <= 5; i++) {
      RoomMessage message = atBob.get(i - 1);
      assertEquals(i, message.seq());
      assertEquals("Nachricht " + i, message.content());
      assertEquals("Anna Berger", message.senderName());
      assertEquals(await(acks.get(i - 1)).clientMsgId(), message.clientMsgId());
    }
    // the sender gets her own messages as well
    assertEquals(5, pair.annaLog().messages(pair.room(), 5).get(4).seq());

    Ack answer = await(pair.bob().send(pair.room(), "Danke, erledigt."));
    assertEquals(6, answer.seq());
    assertEquals("Danke, erledigt.", pair.annaLog().messages(pair.room(), 1).get(0).content());
  }

  @Test
  void aClientThatWasAwayGetsWhatItMissedWithoutGapOrDuplicate() {
    Pair pair = pair();
    for (int i = 1; i <= 3; i++) {
      await(pair.anna().send(pair.room(), "vorher " + i));
    }
    pair.bobLog().messages(pair.room(), 3);

    await(pair.bob().disconnect());
    for (int i = 1; i <= 5; i++) {
      await(pair.anna().send(pair.room(), "weg " + i));
    }
    // messages sent while Bob connects come live, possibly before the replay of what he missed
    Future<Void> reconnected = pair.bob().connect();
    List<Future<Ack>> during = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      during.add(pair.anna().send(pair.room(), "während " + i));
    }
    await(reconnected);
    during.forEach(TestClients::await);

    List<RoomMessage> missed = pair.bobLog().messages(pair.room(), 8);
    assertSeqs(missed, 4, 11);
    assertEquals("weg 1", missed.get(0).content());
    assertEquals("während 3", missed.get(7).content());
    assertSeqs(pair.bobLog().allMessages(pair.room()), 1, 11);
  }

  @Test
  void droppedConnectionsOnBothSidesLoseNothingAndDuplicateNothing() {
    Pair pair = pair();
    List<Future<Ack>> acks = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      acks.add(pair.anna().send(pair.room(), "Wert " + i));
      if (i == 10) {
        await(pair.bob().interruptConnection());
      }
      if (i == 20) {
        // sends on their way when the connection drops are sent again with the same clientMsgId
        await(pair.anna().interruptConnection());
      }
      if (i == 30) {
        // once Bob is back from the first drop, drop him again
        Waiting.until(() -> pair.bobLog().all(ConnectionReady.class).size() >= 2, "Bob reconnects");
        await(pair.bob().interruptConnection());
      }
    }
    Set<Long> seqs = new HashSet<>();
    for (Future<Ack> ack : acks) {
      assertTrue(seqs.add(await(ack).seq()), "each send stored once");
    }
    assertEquals(40, seqs.size());

    List<RoomMessage> atBob = pair.bobLog().messages(pair.room(), 40);
    assertSeqs(atBob, 1, 40);
    Set<String> texts = new HashSet<>();
    atBob.forEach(message -> texts.add(message.content()));
    assertEquals(40, texts.size(), "every text once");
    Waiting.until(
        () -> pair.bobLog().all(ConnectionReady.class).size() >= 3, "Bob reconnects twice");
    assertEquals(2, pair.bobLog().all(ConnectionLost.class).size());
    // nothing more than the 40 arrives: a marker is the next message
    await(pair.anna().send(pair.room(), "Ende"));
    assertEquals("Ende", pair.bobLog().messages(pair.room(), 1).get(0).content());
    assertSeqs(pair.annaLog().messages(pair.room(), 41), 1, 41);
  }

  @Test
  void theSameClientMsgIdIsStoredOnceAndAnsweredWithTheFirstAck() {
    Pair pair = pair();
    UUID clientMsgId = UUID.randomUUID();
    Ack first = await(pair.anna().send(pair.room(), "Blutzucker 112 mg/dl", clientMsgId));
    Ack again = await(pair.anna().send(pair.room(), "Blutzucker 112 mg/dl", clientMsgId));
    assertFalse(first.duplicate());
    assertTrue(again.duplicate());
    assertEquals(first.seq(), again.seq());
    assertEquals(first.id(), again.id());

    await(pair.anna().send(pair.room(), "danach"));
    List<RoomMessage> atBob = pair.bobLog().messages(pair.room(), 2);
    assertEquals(clientMsgId, atBob.get(0).clientMsgId());
    assertEquals("danach", atBob.get(1).content(), "the repeat was not delivered again");
  }

  @Test
  void messagesSentWhileDisconnectedGoOutAfterTheNextConnect() {
    Pair pair = pair();
    await(pair.anna().disconnect());
    Future<Ack> first = pair.anna().send(pair.room(), "offline geschrieben 1");
    Future<Ack> second = pair.anna().send(pair.room(), "offline geschrieben 2");
    assertFalse(first.isComplete());
    await(pair.anna().connect());
    assertEquals(1, await(first).seq());
    assertEquals(2, await(second).seq());
    assertEquals("offline geschrieben 2", pair.bobLog().messages(pair.room(), 2).get(1).content());
  }

  @Test
  void aNewClientInstanceResumesFromTheKeptPositions() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestUser anna = server.user(practice);
    TestUser bob = server.user(careHome);
    UUID room = server.room(server.login(anna), careHome.id());
    KonsilClient annaClient = loggedIn(anna, new EventLog(), RoomCursors.inMemory());
    await(annaClient.connect());

    RoomCursors kept = RoomCursors.inMemory();
    EventLog firstLog = new EventLog();
    KonsilClient first = loggedIn(bob, firstLog, kept);
    await(first.connect());
    await(annaClient.send(room, "eins"));
    assertEquals("eins", firstLog.messages(room, 1).get(0).content());
    await(first.close());

    await(annaClient.send(room, "zwei"));
    await(annaClient.send(room, "drei"));
    EventLog secondLog = new EventLog();
    KonsilClient second = loggedIn(bob, secondLog, kept);
    await(second.connect());
    List<RoomMessage> resumed = secondLog.messages(room, 2);
    assertEquals(List.of("zwei", "drei"), resumed.stream().map(RoomMessage::content).toList());
    assertSeqs(resumed, 2, 3);
  }

  @Test
  void aRefusedSendFailsWithTheServersCode() {
    Pair pair = pair();
    SendRefusedException refused =
        assertInstanceOf(
            SendRefusedException.class,
            failure(pair.anna().send(UUID.randomUUID(), "an einen fremden Raum")));
    assertEquals("not_a_member", refused.code());

    UUID clientMsgId = UUID.randomUUID();
    await(pair.anna().send(pair.room(), "hier", clientMsgId));
    // the same clientMsgId in another room of the same sender is refused, not stored
    UUID otherRoom = server.room(pair.annaSession(), pair.careHome());
    SendRefusedException reused =
        assertInstanceOf(
            SendRefusedException.class, failure(pair.anna().send(otherRoom, "dort", clientMsgId)));
    assertEquals("client_msg_id_reused", reused.code());
    assertEquals(
        0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + otherRoom + "'"));

    assertInstanceOf(IllegalArgumentException.class, failure(pair.anna().send(pair.room(), "   ")));
  }

  private static void assertSeqs(List<RoomMessage> messages, long from, long to) {
    List<Long> expected = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      expected.add(seq);
    }
    assertEquals(expected, messages.stream().map(RoomMessage::seq).toList());
  }
}
