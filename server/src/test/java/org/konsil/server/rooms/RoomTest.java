package org.konsil.server.rooms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.Waiting;

/** General rooms over REST: who creates them with whom, who sees them, history pages, markers. */
class RoomTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response create(Session session, JsonObject body) {
    return server.api().post("/api/v1/rooms", body, session.accessToken());
  }

  static List<String> roomIds(Session session) {
    return server.api().get("/api/v1/rooms", session.accessToken()).array().stream()
        .map(r -> ((JsonObject) r).getString("id"))
        .toList();
  }

  @Test
  void roomWithAPartnerIsSeenByBothAndNobodyElse() {
    Api.Response created =
        create(
            network.anna(),
            new JsonObject()
                .put("title", "Wundversorgung Station 2")
                .put(
                    "partnerOrganisationIds",
                    new JsonArray().add(network.careHome().id().toString())));
    assertEquals(201, created.status(), created.body());
    JsonObject room = created.json();
    assertEquals("general", room.getString("kind"));
    assertEquals(0, room.getLong("lastSeq"));
    List<String> members =
        room.getJsonArray("organisations").stream()
            .map(o -> ((JsonObject) o).getString("id"))
            .toList();
    assertTrue(
        members.containsAll(
            List.of(network.practice().id().toString(), network.careHome().id().toString())));
    assertEquals(2, members.size());

    String id = room.getString("id");
    assertTrue(roomIds(network.anna()).contains(id));
    assertTrue(roomIds(network.tom()).contains(id));
    assertFalse(roomIds(network.eve()).contains(id));
    assertEquals(
        200, server.api().get("/api/v1/rooms/" + id, network.tom().accessToken()).status());
  }

  @Test
  void anotherOrganisationCannotOpenReadWriteOrMarkARoom() {
    UUID room = server.room(network.anna(), network.careHome().id());
    server.sendRest(network.anna(), room, "Patientin stabil");
    String base = "/api/v1/rooms/" + room;
    for (Api.Response refused :
        List.of(
            server.api().get(base, network.eve().accessToken()),
            server.api().get(base + "/messages", network.eve().accessToken()),
            server
                .api()
                .post(
                    base + "/messages",
                    new JsonObject()
                        .put("clientMsgId", UUID.randomUUID().toString())
                        .put("content", "hallo"),
                    network.eve().accessToken()),
            server
                .api()
                .put(
                    base + "/read", new JsonObject().put("seq", 1), network.eve().accessToken()))) {
      assertEquals(403, refused.status(), refused.body());
      assertEquals("not_a_member", refused.code());
      assertFalse(refused.body().contains("Patientin"));
    }
    assertEquals(1, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
    assertEquals(
        0, server.count("SELECT count(*) FROM read_markers WHERE room_id = '" + room + "'"));
    assertTrue(
        server.count(
                "SELECT count(*) FROM audit_events WHERE action = 'room.read' AND outcome = 'denied'"
                    + " AND object_id = '"
                    + room
                    + "' AND actor_user_id = '"
                    + network.eve().userId()
                    + "'")
            >= 3,
        "the refusals are audited");
  }

  @Test
  void unknownAndMalformedRoomIdsAnswerLikeForeignRooms() {
    assertEquals(
        "not_a_member",
        server
            .api()
            .get("/api/v1/rooms/" + UUID.randomUUID(), network.anna().accessToken())
            .code());
    assertEquals(
        "not_a_member",
        server.api().get("/api/v1/rooms/12345/messages", network.anna().accessToken()).code());
  }

  @Test
  void partnersMustBeKnownAndActive() {
    long before = server.count("SELECT count(*) FROM rooms");
    Api.Response unknown =
        create(
            network.anna(),
            new JsonObject()
                .put("title", "X")
                .put("partnerOrganisationIds", new JsonArray().add(UUID.randomUUID().toString())));
    assertEquals(422, unknown.status());
    assertEquals("organisation_not_active", unknown.code());
    assertEquals(before, server.count("SELECT count(*) FROM rooms"));
  }

  @Test
  void badRoomRequestsAreRefused() {
    assertEquals("validation_failed", create(network.anna(), new JsonObject()).code());
    assertEquals(
        "validation_failed", create(network.anna(), new JsonObject().put("title", "  ")).code());
    assertEquals(
        "validation_failed",
        create(network.anna(), new JsonObject().put("title", "x".repeat(201))).code());
    assertEquals(
        "validation_failed",
        create(network.anna(), new JsonObject().put("title", "X").put("kind", "patient")).code());
    assertEquals(
        "validation_failed",
        create(
                network.anna(),
                new JsonObject().put("title", "X").put("partnerOrganisationIds", "all"))
            .code());
    assertEquals(
        "validation_failed",
        create(
                network.anna(),
                new JsonObject()
                    .put("title", "X")
                    .put("partnerOrganisationIds", new JsonArray().add("nope")))
            .code());
  }

  static Api.Response addOrganisation(Session session, UUID room, UUID organisation) {
    return server
        .api()
        .post(
            "/api/v1/rooms/" + room + "/organisations",
            new JsonObject().put("organisationId", organisation.toString()),
            session.accessToken());
  }

  @Test
  void aPartnerCannotAddAnOrganisationToThePracticesRoom() {
    UUID room = server.room(network.anna(), network.careHome().id());
    TestOrg pharmacy = server.organisation("pharmacy");
    Session careHomeAdmin = server.login(network.careHome().admin());
    for (Session partner : List.of(network.tom(), careHomeAdmin)) {
      Api.Response refused = addOrganisation(partner, room, pharmacy.id());
      assertEquals(403, refused.status(), refused.body());
      assertEquals("not_room_owner", refused.code());
    }
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM room_members WHERE room_id = '"
                + room
                + "' AND organisation_id = '"
                + pharmacy.id()
                + "'"),
        "nothing stored");
    String ownersCopies =
        "SELECT count(*) FROM audit_events WHERE action = 'room.organisation_added'"
            + " AND outcome = 'denied' AND object_id = '"
            + room
            + "' AND organisation_id = '"
            + network.practice().id()
            + "'";
    // the owner's copy of a refusal is written after the answer
    Waiting.until(() -> server.count(ownersCopies) == 2, "both refusals in the owner's trail");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'room.organisation_added'"
                + " AND outcome = 'denied' AND actor_user_id = '"
                + network.tom().userId()
                + "' AND organisation_id = '"
                + network.careHome().id()
                + "'"),
        "and in the partner's own");
    Api.Response outsiderTry = addOrganisation(network.eve(), room, pharmacy.id());
    assertEquals("not_a_member", outsiderTry.code());

    Api.Response added = addOrganisation(network.anna(), room, pharmacy.id());
    assertEquals(200, added.status(), added.body());
    assertEquals(3, added.json().getJsonArray("organisations").size());
  }

  @Test
  void withinTheOwningOrganisationOnlyAdminsAndTheRoomsCreatorAddOrganisations() {
    Session creator = server.login(server.user(network.practice()));
    Session colleague = server.login(server.user(network.practice()));
    UUID room = server.room(creator, network.careHome().id());
    assertEquals(
        "not_room_owner",
        addOrganisation(colleague, room, network.outsider().id()).code(),
        "a colleague");
    assertEquals(
        200, addOrganisation(creator, room, network.outsider().id()).status(), "the creator");
    TestOrg clinic = server.organisation("clinic");
    assertEquals(200, addOrganisation(network.anna(), room, clinic.id()).status(), "an admin");
  }

  @Test
  void roomOfOneOrganisationAloneIsAllowed() {
    Api.Response created = create(network.anna(), new JsonObject().put("title", "Praxisteam"));
    assertEquals(201, created.status());
    assertEquals(1, created.json().getJsonArray("organisations").size());
  }

  @Test
  void historyIsReadPageByPageBySequenceNumber() {
    UUID room = server.room(network.anna(), network.careHome().id());
    for (int i = 1; i <= 120; i++) {
      server.sendRest(i % 2 == 0 ? network.anna() : network.tom(), room, "m" + i);
    }
    String path = "/api/v1/rooms/" + room + "/messages";
    JsonObject newest = server.api().get(path + "?limit=50", network.tom().accessToken()).json();
    assertEquals(seqs(71, 120), seqsOf(newest));
    assertTrue(newest.getBoolean("hasMore"));
    JsonObject older =
        server.api().get(path + "?limit=50&before=71", network.tom().accessToken()).json();
    assertEquals(seqs(21, 70), seqsOf(older));
    JsonObject oldest =
        server.api().get(path + "?limit=50&before=21", network.tom().accessToken()).json();
    assertEquals(seqs(1, 20), seqsOf(oldest));
    assertFalse(oldest.getBoolean("hasMore"));
    JsonObject after =
        server.api().get(path + "?after=100&limit=10", network.tom().accessToken()).json();
    assertEquals(seqs(101, 110), seqsOf(after));
    assertTrue(after.getBoolean("hasMore"));
    JsonObject tail = server.api().get(path + "?after=115", network.tom().accessToken()).json();
    assertEquals(seqs(116, 120), seqsOf(tail));
    assertFalse(tail.getBoolean("hasMore"));
    JsonObject first = oldest.getJsonArray("messages").getJsonObject(0);
    assertEquals("m1", first.getString("content"));
    assertEquals(network.tom().userId().toString(), first.getJsonObject("sender").getString("id"));
    assertEquals(
        network.careHome().id().toString(),
        first.getJsonObject("sender").getJsonObject("organisation").getString("id"));

    for (String bad :
        List.of("?limit=0", "?limit=201", "?after=1&before=5", "?after=-1", "?before=abc")) {
      Api.Response refused = server.api().get(path + bad, network.tom().accessToken());
      assertEquals(422, refused.status(), bad);
      assertEquals("validation_failed", refused.code(), bad);
    }
  }

  @Test
  void restSendIsIdempotentPerClientMsgId() {
    UUID room = server.room(network.anna(), network.careHome().id());
    JsonObject body =
        new JsonObject().put("clientMsgId", UUID.randomUUID().toString()).put("content", "einmal");
    Api.Response first =
        server
            .api()
            .post("/api/v1/rooms/" + room + "/messages", body, network.anna().accessToken());
    Api.Response again =
        server
            .api()
            .post("/api/v1/rooms/" + room + "/messages", body, network.anna().accessToken());
    assertEquals(201, first.status());
    assertEquals(200, again.status());
    assertTrue(again.json().getBoolean("duplicate"));
    assertEquals(first.json().getLong("seq"), again.json().getLong("seq"));
    assertEquals(1, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
    Api.Response tooLong =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject()
                    .put("clientMsgId", UUID.randomUUID().toString())
                    .put("content", "x".repeat(16_001)),
                network.anna().accessToken());
    assertEquals("validation_failed", tooLong.code());
    Api.Response noId =
        server
            .api()
            .post(
                "/api/v1/rooms/" + room + "/messages",
                new JsonObject().put("content", "x"),
                network.anna().accessToken());
    assertEquals("validation_failed", noId.code());
    assertEquals(1, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
  }

  @Test
  void roomsAreListedNewestActivityFirstWithUnreadCounts() {
    UUID quiet = server.room(network.anna(), network.careHome().id());
    UUID busy = server.room(network.anna(), network.careHome().id());
    // Rooms of other tests were active at the clock's start; these two come later.
    server.clock.advance(java.time.Duration.ofSeconds(1));
    server.sendRest(network.anna(), busy, "neu");
    server.clock.advance(java.time.Duration.ofSeconds(1));
    server.sendRest(network.anna(), quiet, "noch neuer");
    JsonArray rooms = server.api().get("/api/v1/rooms", network.tom().accessToken()).array();
    assertEquals(quiet.toString(), rooms.getJsonObject(0).getString("id"));
    assertEquals(busy.toString(), rooms.getJsonObject(1).getString("id"));
    assertEquals(1, rooms.getJsonObject(0).getLong("unread"));
    Api.Response marked =
        server
            .api()
            .put(
                "/api/v1/rooms/" + quiet + "/read",
                new JsonObject().put("seq", 1),
                network.tom().accessToken());
    assertEquals(200, marked.status());
    assertEquals(0, marked.json().getLong("unread"));
    assertEquals(
        "validation_failed",
        server
            .api()
            .put(
                "/api/v1/rooms/" + quiet + "/read",
                new JsonObject().put("seq", "1"),
                network.tom().accessToken())
            .code());
  }

  static List<Long> seqs(long from, long to) {
    return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
  }

  static List<Long> seqsOf(JsonObject page) {
    return page.getJsonArray("messages").stream()
        .map(m -> ((JsonObject) m).getLong("seq"))
        .toList();
  }
}
