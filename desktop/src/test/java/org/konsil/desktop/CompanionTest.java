package org.konsil.desktop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomHistoryWiped;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.live.Ack;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.KonsilServer.TestUser;

/**
 * The companion from outside: who gets into its page (only the browser that opened the one-time
 * link, only on its own host and port, never with a password), and what the page gets through it
 * (encrypted rooms decrypted, sends and files encrypted on this computer, everything else relayed
 * as the server answered it).
 */
class CompanionTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static Vertx vertx;

  @TempDir Path temp;

  final HttpClient http = HttpClient.newHttpClient();
  final java.util.List<Desk> desks = new java.util.ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopDesks() {
    desks.forEach(Desk::stop);
  }

  record Team(TestOrg practice, TestOrg careHome, TestUser anna, TestUser bob) {}

  Team team() {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    return new Team(
        practice,
        careHome,
        server.user(practice, "Anna Berger"),
        server.user(careHome, "Bob Lindner"));
  }

  Desk desk(TestUser user, boolean companion) {
    Desk desk =
        Desk.start(vertx, server, user, temp.resolve(UUID.randomUUID().toString()), companion);
    desks.add(desk);
    return desk;
  }

  /** What a browser holds after opening the link: the cookie and the page's access token. */
  record Page(Desk desk, String cookie, String token) {}

  Page open(Desk desk) throws Exception {
    HttpResponse<String> opened = get(desk.companion().newLoginLink(), null, null);
    assertEquals(303, opened.statusCode());
    String cookie = opened.headers().firstValue("Set-Cookie").orElseThrow();
    HttpResponse<String> refreshed =
        post(desk, "/api/v1/auth/refresh", "{}", cookieOf(cookie), null);
    assertEquals(200, refreshed.statusCode(), refreshed.body());
    return new Page(
        desk, cookieOf(cookie), new JsonObject(refreshed.body()).getString("accessToken"));
  }

  @Test
  void theLoginLinkOpensOneBrowserOnceAndNothingElseGetsIn() throws Exception {
    Team team = team();
    Desk anna = desk(team.anna(), true);
    int port = anna.companion().port();

    // the link: once, and it sets a cookie of this port that page scripts cannot read
    String link = anna.companion().newLoginLink();
    assertTrue(link.startsWith("http://127.0.0.1:" + port + "/login?code="), link);
    HttpResponse<String> opened = get(link, null, null);
    assertEquals(303, opened.statusCode());
    assertEquals("/", opened.headers().firstValue("Location").orElseThrow());
    String setCookie = opened.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(setCookie.startsWith("konsil_desktop_" + port + "="), setCookie);
    assertTrue(setCookie.toLowerCase().contains("httponly"), setCookie);
    assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
    HttpResponse<String> again = get(link, null, null);
    assertEquals(403, again.statusCode());
    assertTrue(again.headers().firstValue("Set-Cookie").isEmpty());
    assertEquals(403, get(anna.origin() + "/login?code=guessed", null, null).statusCode());
    assertEquals(403, get(anna.origin() + "/login", null, null).statusCode());

    // the cookie is swapped for the page's token; without it there is nothing to swap
    String cookie = cookieOf(setCookie);
    HttpResponse<String> noCookie = post(anna, "/api/v1/auth/refresh", "{}", null, null);
    assertEquals(401, noCookie.statusCode());
    assertEquals("invalid_refresh_token", code(noCookie));
    HttpResponse<String> refreshed = post(anna, "/api/v1/auth/refresh", "{}", cookie, null);
    assertEquals(200, refreshed.statusCode(), refreshed.body());
    JsonObject session = new JsonObject(refreshed.body());
    assertEquals(team.anna().email(), session.getJsonObject("user").getString("email"));
    String token = session.getString("accessToken");
    // the page's token is the companion's, not a credential of the server
    assertEquals(401, server.api().get("/api/v1/me", token).status());

    // the API: only with the token, only from the page's own origin, only on its own host name
    HttpResponse<String> anonymous = get(anna.origin() + "/api/v1/rooms", null, null);
    assertEquals(401, anonymous.statusCode());
    assertEquals("invalid_token", code(anonymous));
    assertEquals(401, get(anna.origin() + "/api/v1/rooms", "made-up", null).statusCode());
    assertEquals(200, get(anna.origin() + "/api/v1/rooms", token, null).statusCode());
    HttpResponse<String> otherSite =
        post(anna, "/api/v1/ws-tickets", "{}", cookie, token, "https://evil.example");
    assertEquals(403, otherSite.statusCode());
    assertEquals("forbidden_origin", code(otherSite));
    assertTrue(
        rawStatusLine(port, "evil.example:" + port, token).startsWith("HTTP/1.1 421"),
        "a page of another site whose name resolves to 127.0.0.1 is refused");
    assertTrue(rawStatusLine(port, "127.0.0.1:" + port, token).startsWith("HTTP/1.1 200"));

    // no password login through the page: the companion is signed in in its own window
    HttpResponse<String> password =
        post(
            anna,
            "/api/v1/auth/login",
            new JsonObject()
                .put("email", team.anna().email())
                .put("password", team.anna().password())
                .encode(),
            null,
            null);
    assertEquals(403, password.statusCode());
    assertEquals("desktop_login_link", code(password));

    // a WebSocket needs a ticket of the page's session, once
    ExecutionException noTicket =
        assertThrows(ExecutionException.class, () -> socket(anna, "made-up", new Frames()));
    assertTrue(noTicket.getCause() instanceof java.net.http.WebSocketHandshakeException);
    String ticket = ticket(new Page(anna, cookie, token));
    WebSocket used = socket(anna, ticket, new Frames());
    used.sendClose(WebSocket.NORMAL_CLOSURE, "done");
    assertThrows(ExecutionException.class, () -> socket(anna, ticket, new Frames()));

    // the page's logout ends its session here (the companion stays signed in to the server)
    assertEquals(204, post(anna, "/api/v1/auth/logout", "{}", cookie, token).statusCode());
    assertEquals(401, get(anna.origin() + "/api/v1/rooms", token, null).statusCode());
    assertEquals(401, post(anna, "/api/v1/auth/refresh", "{}", cookie, null).statusCode());
    assertNotNull(Desk.await(anna.client().getObject("/api/v1/me")));
  }

  @Test
  void anEncryptedRoomGoesThroughTheCompanionDecryptedAndItsSendsAndFilesEncryptedHere()
      throws Exception {
    Team team = team();
    UUID room = Desk.room(server, team.anna(), team.careHome().id(), true);
    Desk anna = desk(team.anna(), true);
    Desk bob = desk(team.bob(), false);
    Page page = open(anna);

    // Bob writes with the library; Anna's page reads it decrypted, the server only has the envelope
    Ack first = Desk.await(bob.client().encryptedRooms().send(room, "Blutzucker 142 mg/dl"));
    JsonArray history = history(page, room);
    assertEquals(1, history.size());
    JsonObject message = history.getJsonObject(0);
    assertEquals(first.seq(), message.getLong("seq"));
    assertEquals("text", message.getString("kind"));
    assertEquals("Blutzucker 142 mg/dl", message.getString("content"));
    assertEquals(true, message.getBoolean("endToEnd"));
    JsonObject stored =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages", server.login(team.anna()).accessToken())
            .json()
            .getJsonArray("messages")
            .getJsonObject(0);
    assertEquals("encrypted", stored.getString("kind"));
    assertNull(stored.getString("content"));
    JsonObject listed = roomOf(get(anna.origin() + "/api/v1/rooms", page.token(), null), room);
    assertEquals("Blutzucker 142 mg/dl", listed.getJsonObject("lastMessage").getString("excerpt"));

    // Anna's page sends over its WebSocket: encrypted here, acknowledged like a plain send
    Frames frames = new Frames();
    WebSocket ws = socket(anna, ticket(page), frames);
    next(frames, f -> "ready".equals(f.getString("type")));
    String clientMsgId = UUID.randomUUID().toString();
    send(ws, room, clientMsgId, "Insulin angepasst", "r1", null);
    JsonObject ack = next(frames, f -> "ack".equals(f.getString("type")));
    assertEquals("r1", ack.getString("ref"));
    assertEquals(clientMsgId, ack.getString("clientMsgId"));
    assertEquals(first.seq() + 1, ack.getLong("seq"));
    EncryptedMessage atBob =
        bob.next(EncryptedMessage.class, m -> m.room().equals(room) && !m.ownMessage());
    assertEquals("Insulin angepasst", atBob.text());
    assertEquals(anna.client().account().id(), atBob.senderId());
    // its own message comes back on the page in plain words too, not as a placeholder
    JsonObject own =
        next(
            frames,
            f ->
                "message".equals(f.getString("type"))
                    && ack.getLong("seq").equals(f.getLong("seq")));
    assertEquals("Insulin angepasst", own.getString("content"));

    // Bob answers: the live frame on Anna's page is decrypted
    Ack answer = Desk.await(bob.client().encryptedRooms().send(room, "Danke, Werte morgen"));
    JsonObject live =
        next(
            frames,
            f ->
                "message".equals(f.getString("type"))
                    && Long.valueOf(answer.seq()).equals(f.getLong("seq")));
    assertEquals("text", live.getString("kind"));
    assertEquals("Danke, Werte morgen", live.getString("content"));
    assertNull(live.getValue("envelope"));

    // a reply is not carried in encrypted messages: refused with its own code, nothing sent
    send(ws, room, UUID.randomUUID().toString(), "Antwort", "r2", live.getString("id"));
    JsonObject refused =
        next(frames, f -> "error".equals(f.getString("type")) && "r2".equals(f.getString("ref")));
    assertEquals("not_in_encrypted_rooms", refused.getString("code"));
    // a blank text is refused before anything is encrypted, with the server's code for it
    send(ws, room, UUID.randomUUID().toString(), " ", "r3", null);
    JsonObject blank =
        next(frames, f -> "error".equals(f.getString("type")) && "r3".equals(f.getString("ref")));
    assertEquals("validation_failed", blank.getString("code"));

    // a file from the page is encrypted here; Bob's library opens it
    byte[] finding = "%PDF-1.4 Befund: HbA1c 7,9 %".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> uploaded =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        anna.origin()
                            + "/api/v1/rooms/"
                            + room
                            + "/attachments?clientMsgId="
                            + UUID.randomUUID()
                            + "&fileName=befund.pdf"))
                .header("Authorization", "Bearer " + page.token())
                .header("Content-Type", "application/pdf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(finding))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(201, uploaded.statusCode(), uploaded.body());
    EncryptedMessage fileAtBob =
        bob.next(EncryptedMessage.class, m -> m.file() != null && !m.ownMessage());
    assertEquals("befund.pdf", fileAtBob.file().fileName());
    assertEquals("application/pdf", fileAtBob.file().mediaType());
    assertArrayEquals(
        finding, Desk.await(bob.client().encryptedRooms().download(fileAtBob.file())));

    // a file from Bob: the page sees an attachment, downloads it decrypted through the companion;
    // the server hands out only the ciphertext
    byte[] photo = "JPEG Wundfoto 3. Tag".getBytes(StandardCharsets.UTF_8);
    Ack sentFile =
        Desk.await(
            bob.client().encryptedRooms().sendFile(room, "wunde.jpg", "image/jpeg", photo, null));
    JsonObject attachment =
        next(
            frames,
            f ->
                "message".equals(f.getString("type"))
                    && Long.valueOf(sentFile.seq()).equals(f.getLong("seq")));
    assertEquals("attachment", attachment.getString("kind"));
    JsonObject described = new JsonObject(attachment.getString("content"));
    assertEquals("wunde.jpg", described.getString("fileName"));
    String attachmentId = described.getString("attachmentId");
    HttpResponse<byte[]> downloaded =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(anna.origin() + "/api/v1/attachments/" + attachmentId))
                .header("Authorization", "Bearer " + page.token())
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, downloaded.statusCode());
    assertArrayEquals(photo, downloaded.body());
    assertEquals("image/jpeg", downloaded.headers().firstValue("Content-Type").orElseThrow());
    Api.Response raw =
        server
            .api()
            .get("/api/v1/attachments/" + attachmentId, server.login(team.anna()).accessToken());
    assertEquals(200, raw.status());
    assertFalse(Arrays.equals(photo, raw.bytes().getBytes()));
    assertFalse(
        new String(raw.bytes().getBytes(), StandardCharsets.ISO_8859_1).contains("Wundfoto"));

    // the history after all this reads as a plain room's would
    JsonArray all = history(page, room);
    assertEquals(
        java.util.List.of("text", "text", "text", "attachment", "attachment"),
        all.stream().map(m -> ((JsonObject) m).getString("kind")).toList());
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
  }

  @Test
  void whatCameWhileTheCompanionWasOffIsDecryptedWhenItStartsAgain() throws Exception {
    Team team = team();
    UUID room = Desk.room(server, team.anna(), team.careHome().id(), true);
    Path keys = temp.resolve("anna-keys");
    Desk anna = Desk.start(vertx, server, team.anna(), keys, true);
    Desk bob = desk(team.bob(), false);
    Desk.await(bob.client().encryptedRooms().send(room, "vor dem Feierabend"));
    anna.next(EncryptedMessage.class, m -> m.room().equals(room));
    anna.stop();

    // the evening: Bob writes while Anna's computer is off
    Desk.await(bob.client().encryptedRooms().send(room, "Fieber 38,4 um 20 Uhr"));
    Ack last = Desk.await(bob.client().encryptedRooms().send(room, "Paracetamol gegeben"));

    // the next morning the companion starts again from its key store and catches up
    Desk again = Desk.start(vertx, server, team.anna(), keys, true);
    desks.add(again);
    again.next(EncryptedMessage.class, m -> m.room().equals(room) && m.seq() == last.seq());
    Page page = open(again);
    assertEquals(
        java.util.List.of("vor dem Feierabend", "Fieber 38,4 um 20 Uhr", "Paracetamol gegeben"),
        history(page, room).stream().map(m -> ((JsonObject) m).getString("content")).toList());
  }

  @Test
  void aPartnersCompanionAfterTheRevocationShowsNothingOpensNoFileAndSendsNothing()
      throws Exception {
    Team team = team();
    KonsilServer.Session annaSession = server.login(team.anna());
    UUID patient = server.patient(annaSession, "Krause");
    assertEquals(
        201,
        server
            .uploadConsent(
                annaSession, patient, Documents.pdf(), "application/pdf", team.careHome().id())
            .status());
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("kind", "patient")
                    .put("patientId", patient.toString())
                    .put("title", "Wundversorgung")
                    .put("encrypted", true)
                    .put(
                        "partnerOrganisationIds",
                        new JsonArray().add(team.careHome().id().toString())),
                annaSession.accessToken());
    assertEquals(201, created.status(), created.body());
    UUID room = UUID.fromString(created.json().getString("id"));
    Desk anna = desk(team.anna(), false);
    Desk bob = desk(team.bob(), true);
    Page page = open(bob);

    // before: Bob's page reads the text and opens the file through his companion
    Desk.await(anna.client().encryptedRooms().send(room, "Dekubitus Grad 2"));
    byte[] photo = "JPEG Dekubitus sakral".getBytes(StandardCharsets.UTF_8);
    Ack sentFile =
        Desk.await(
            anna.client().encryptedRooms().sendFile(room, "sakral.jpg", "image/jpeg", photo, null));
    bob.next(EncryptedMessage.class, m -> m.seq() == sentFile.seq());
    JsonArray before = history(page, room);
    assertEquals("Dekubitus Grad 2", before.getJsonObject(0).getString("content"));
    String attachmentId =
        new JsonObject(before.getJsonObject(1).getString("content")).getString("attachmentId");
    String download = bob.origin() + "/api/v1/attachments/" + attachmentId;
    assertEquals(200, get(download, page.token(), null).statusCode());

    Api.Response revoked =
        server
            .api()
            .send(
                io.vertx.core.http.HttpMethod.POST,
                "/api/v1/patients/"
                    + patient
                    + "/revocation?date="
                    + java.time.LocalDate.ofInstant(
                        server.clock.instant(), java.time.ZoneOffset.UTC),
                annaSession.accessToken(),
                null,
                null);
    assertEquals(200, revoked.status(), revoked.body());
    bob.next(RoomHistoryWiped.class, w -> w.room().equals(room));

    // after: the partner's page gets masked messages, the file no more, and cannot write
    int masked = 0;
    for (Object item : history(page, room)) {
      JsonObject message = (JsonObject) item;
      if ("system".equals(message.getString("kind"))) {
        continue; // the notice of the revocation itself
      }
      assertTrue(message.getBoolean("masked"), message.encode());
      assertNull(message.getValue("content"), message.encode());
      masked++;
    }
    assertEquals(2, masked);
    HttpResponse<String> file = get(download, page.token(), null);
    assertTrue(file.statusCode() >= 400, file.statusCode() + " " + file.body());
    assertFalse(file.body().contains("Dekubitus"));
    Frames frames = new Frames();
    WebSocket ws = socket(bob, ticket(page), frames);
    next(frames, f -> "ready".equals(f.getString("type")));
    send(ws, room, UUID.randomUUID(), "noch eine Frage", "v1", null);
    JsonObject refused =
        next(frames, f -> "error".equals(f.getString("type")) && "v1".equals(f.getString("ref")));
    assertEquals("consent_revoked", refused.getString("code"));
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
  }

  @Test
  void plainRoomsAndTheRestOfTheApiAreRelayedAsTheServerAnswers() throws Exception {
    Team team = team();
    UUID room = Desk.room(server, team.anna(), team.careHome().id(), false);
    Desk anna = desk(team.anna(), true);
    Desk bob = desk(team.bob(), false);
    Page page = open(anna);

    Frames frames = new Frames();
    WebSocket ws = socket(anna, ticket(page), frames);
    next(frames, f -> "ready".equals(f.getString("type")));
    send(ws, room, UUID.randomUUID().toString(), "Dienstplan steht", "p1", null);
    JsonObject ack = next(frames, f -> "ack".equals(f.getString("type")));
    assertEquals("p1", ack.getString("ref"));
    RoomMessage atBob = bob.next(RoomMessage.class, m -> m.room().equals(room));
    assertEquals("Dienstplan steht", atBob.content());
    // a plain room is the server's to read, as without the companion
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM messages WHERE room_id = '"
                + room
                + "' AND content = 'Dienstplan steht'"));

    // a blank text is refused by the server, with its code, through the companion
    send(ws, room, UUID.randomUUID().toString(), "  ", "p2", null);
    JsonObject refused =
        next(frames, f -> "error".equals(f.getString("type")) && "p2".equals(f.getString("ref")));
    assertEquals("validation_failed", refused.getString("code"));

    // other answers come as the server gave them: a room that is not Anna's is not found
    UUID elsewhere = Desk.room(server, team.bob(), server.organisation("clinic").id(), false);
    HttpResponse<String> foreign =
        get(anna.origin() + "/api/v1/rooms/" + elsewhere, page.token(), null);
    Api.Response direct =
        server.api().get("/api/v1/rooms/" + elsewhere, server.login(team.anna()).accessToken());
    assertTrue(foreign.statusCode() >= 400, foreign.body());
    assertEquals(direct.status(), foreign.statusCode());
    assertEquals(direct.json().getString("code"), code(foreign));
    HttpResponse<String> unknownFile =
        get(anna.origin() + "/api/v1/attachments/" + UUID.randomUUID(), page.token(), null);
    assertEquals(404, unknownFile.statusCode());
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
  }

  // ---- HTTP and WebSocket by hand ----

  HttpResponse<String> get(String url, String token, String cookie) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (cookie != null) {
      request.header("Cookie", cookie);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(Desk desk, String path, String body, String cookie, String token)
      throws Exception {
    return post(desk, path, body, cookie, token, null);
  }

  HttpResponse<String> post(
      Desk desk, String path, String body, String cookie, String token, String origin)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(desk.origin() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (cookie != null) {
      request.header("Cookie", cookie);
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (origin != null) {
      request.header("Origin", origin);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A page's {@code send} frame, with {@code replyTo} if given. */
  static void send(
      WebSocket ws, UUID room, Object clientMsgId, String content, String ref, String replyTo) {
    JsonObject frame =
        new JsonObject()
            .put("type", "send")
            .put("room", room.toString())
            .put("clientMsgId", clientMsgId.toString())
            .put("content", content)
            .put("ref", ref);
    if (replyTo != null) {
      frame.put("replyTo", replyTo);
    }
    ws.sendText(frame.encode(), true);
  }

  String ticket(Page page) throws Exception {
    HttpResponse<String> answer =
        post(page.desk(), "/api/v1/ws-tickets", "{}", page.cookie(), page.token());
    assertEquals(201, answer.statusCode(), answer.body());
    return new JsonObject(answer.body()).getString("ticket");
  }

  JsonArray history(Page page, UUID room) throws Exception {
    HttpResponse<String> answer =
        get(page.desk().origin() + "/api/v1/rooms/" + room + "/messages", page.token(), null);
    assertEquals(200, answer.statusCode(), answer.body());
    return new JsonObject(answer.body()).getJsonArray("messages");
  }

  WebSocket socket(Desk desk, String ticket, Frames frames) throws Exception {
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              frames.add(new JsonObject(text.toString()));
              text.setLength(0);
            }
            ws.request(1);
            return null;
          }
        };
    return http.newWebSocketBuilder()
        .buildAsync(
            URI.create("ws://127.0.0.1:" + desk.companion().port() + "/api/v1/ws?ticket=" + ticket),
            listener)
        .get(10, TimeUnit.SECONDS);
  }

  /** The frames a socket received; taken by what a test looks for, in any order. */
  static final class Frames {
    private final java.util.List<JsonObject> received = new java.util.ArrayList<>();

    synchronized void add(JsonObject frame) {
      received.add(frame);
      notifyAll();
    }

    /**
     * Takes the first frame that matches, waiting for it (30 s at most): the page may get frames in
     * either order (its own message's push before its ack), so the others stay.
     */
    synchronized JsonObject take(Predicate<JsonObject> matches) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        for (java.util.Iterator<JsonObject> it = received.iterator(); it.hasNext(); ) {
          JsonObject frame = it.next();
          if (matches.test(frame)) {
            it.remove();
            return frame;
          }
        }
        long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError("no such frame came; these did: " + received);
        }
        wait(left);
      }
    }
  }

  static JsonObject next(Frames frames, Predicate<JsonObject> matches) throws InterruptedException {
    return frames.take(matches);
  }

  /** The first line of the answer to a GET with this Host header (which HttpClient cannot set). */
  static String rawStatusLine(int port, String host, String token) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET /api/v1/rooms HTTP/1.1\r\nHost: "
                  + host
                  + "\r\nAuthorization: Bearer "
                  + token
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\r') {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  static JsonObject roomOf(HttpResponse<String> list, UUID room) {
    assertEquals(200, list.statusCode(), list.body());
    for (Object item : new JsonArray(list.body())) {
      if (room.toString().equals(((JsonObject) item).getString("id"))) {
        return (JsonObject) item;
      }
    }
    throw new AssertionError("room not listed");
  }

  static String cookieOf(String setCookie) {
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  static String code(HttpResponse<String> answer) {
    return new JsonObject(answer.body()).getString("code");
  }
}
