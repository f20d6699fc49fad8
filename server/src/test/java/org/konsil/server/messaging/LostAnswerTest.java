package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.DirectMessage;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.TestDatabase;
import org.konsil.server.testkit.TestSocket;

/**
 * A send whose statement committed but whose answer never came back (the database connection broke
 * at the commit) was never published live. When it is sent again, it is answered as a duplicate,
 * and the members connected to the room must still get it, without waiting for the room's next
 * message.
 */
class LostAnswerTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  /**
   * The message as its lost statement left it: committed under the room's next seq, unpublished.
   */
  static void committedWithoutAnAnswer(
      CareNetwork network, UUID room, UUID clientMsgId, String content) {
    TestDatabase.execute(
        server.database(),
        DirectMessage.text(room, network.anna().userId(), network.practice().id(), content)
            .withClientMsgId(clientMsgId)
            .sql(server.clock.instant()));
  }

  /** Anna sends the message again, under the same client id. */
  static Api.Response sentAgain(CareNetwork network, UUID room, UUID clientMsgId, String content) {
    return server
        .api()
        .post(
            "/api/v1/rooms/" + room + "/messages",
            new JsonObject().put("clientMsgId", clientMsgId.toString()).put("content", content),
            network.anna().accessToken());
  }

  @Test
  void aSendCommittedWithoutAnAnswerReachesTheConnectedMembersWhenItIsSentAgain() {
    CareNetwork network = CareNetwork.create(server);
    UUID room = server.room(network.anna(), network.careHome().id());
    try (TestSocket tom = server.socket(network.tom());
        TestSocket annaElsewhere = server.socket(network.anna())) {
      UUID clientMsgId = UUID.randomUUID();
      committedWithoutAnAnswer(network, room, clientMsgId, "Bitte Verband wechseln");

      Api.Response again = sentAgain(network, room, clientMsgId, "Bitte Verband wechseln");
      assertEquals(200, again.status(), again.body());
      assertTrue(again.json().getBoolean("duplicate"));
      assertEquals(1, again.json().getLong("seq"));

      for (TestSocket member : new TestSocket[] {tom, annaElsewhere}) {
        JsonObject pushed = member.next("message");
        assertEquals(room.toString(), pushed.getString("room"));
        assertEquals(1, pushed.getLong("seq"));
        assertEquals("Bitte Verband wechseln", pushed.getString("content"));
        assertEquals(clientMsgId.toString(), pushed.getString("clientMsgId"));
      }
      assertEquals(1, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));

      // the room goes on as before: the next message once, in order, on both connections
      long next = server.sendRest(network.anna(), room, "Erledigt");
      assertEquals(2, next);
      assertEquals(2, tom.next("message").getLong("seq"));
      assertEquals(2, annaElsewhere.next("message").getLong("seq"));
    }
  }

  @Test
  void aDuplicateSendTellsNoOutsiderAnything() {
    CareNetwork network = CareNetwork.create(server);
    UUID room = server.room(network.anna(), network.careHome().id());
    UUID evesRoom = server.room(network.eve(), network.practice().id());
    try (TestSocket eve = server.socket(network.eve())) {
      UUID clientMsgId = UUID.randomUUID();
      committedWithoutAnAnswer(network, room, clientMsgId, "Nur fuer das Team");
      Api.Response again = sentAgain(network, room, clientMsgId, "Nur fuer das Team");
      assertEquals(200, again.status(), again.body());
      // a message in a room Eve shares, sent after the duplicate: the first she gets
      server.sendRest(network.anna(), evesRoom, "Rezept liegt bereit");
      JsonObject first = eve.next("message");
      assertEquals(evesRoom.toString(), first.getString("room"), first.encode());
      assertEquals("Rezept liegt bereit", first.getString("content"));
    }
  }
}
