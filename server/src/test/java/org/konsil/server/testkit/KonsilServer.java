package org.konsil.server.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.konsil.db.DatabaseSettings;
import org.konsil.db.Folders;
import org.konsil.server.KonsilNode;
import org.konsil.server.Wiring;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.organisations.CreateOrganisationRequest;
import org.konsil.server.organisations.CreatedOrganisation;

/**
 * A real Konsil per test class: its own fresh database, a free port, a pinned clock, and fixtures
 * that create organisations, users, sessions, rooms and sockets. Register it with
 * {@code @RegisterExtension static KonsilServer server = new KonsilServer();}.
 */
public final class KonsilServer implements BeforeAllCallback, AfterAllCallback {

  public static final String PASSWORD = "a long test password";
  private static final AtomicInteger NAMES = new AtomicInteger();

  public final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private final Map<String, String> env = new HashMap<>();
  private KonsilNode node;
  private Vertx clientVertx;
  private Api api;
  private int port;
  private DatabaseSettings database;
  private Path dataDir;

  public KonsilServer() {
    env.put("KONSIL_ARGON2_MEMORY_KIB", "1024");
    env.put("KONSIL_ARGON2_ITERATIONS", "1");
    env.put("KONSIL_LOGIN_DELAY_STEP_MS", "1");
    env.put("KONSIL_SHUTDOWN_GRACE_SECONDS", "2");
    env.put("KONSIL_EVENT_LOOPS", "2");
    env.put(
        "KONSIL_JWT_SECRET", Base64.getEncoder().encodeToString(new byte[32]).replace('A', 'k'));
  }

  /** Sets a KONSIL_* variable for this server; call before the class starts. */
  public KonsilServer with(String name, String value) {
    env.put(name, value);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    database = TestDatabase.fresh();
    port = freePort();
    dataDir = Files.createTempDirectory("konsil-test-data");
    env.put("KONSIL_DATABASE_URL", TestDatabase.applicationUrl(database));
    env.put("KONSIL_DATABASE_MIGRATION_URL", TestDatabase.url(database));
    env.put("KONSIL_HTTP_PORT", Integer.toString(port));
    env.put("KONSIL_DATA_DIR", dataDir.toString());
    node = KonsilNode.start(KonsilConfig.from(env), clock);
    clientVertx = Vertx.vertx();
    api = new Api(clientVertx, port);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (clientVertx != null) {
      try {
        clientVertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // a client connection that a test left hanging must not hold up the run
      }
    }
    if (node != null) {
      node.close();
    }
    Folders.deleteQuietly(dataDir);
  }

  /** The value of a KONSIL_* variable this server was started with. */
  public String env(String name) {
    return env.get(name);
  }

  /** Stops this node as SIGTERM would and starts a new one on the same database and port. */
  public void restart() {
    stop();
    start();
  }

  /** Stops this node as SIGTERM would; its port stays free for {@link #start()}. */
  public void stop() {
    node.close();
  }

  /** Starts a new node on the same database and port after {@link #stop()}. */
  public void start() {
    node = KonsilNode.start(KonsilConfig.from(env), clock);
  }

  public Api api() {
    return api;
  }

  public int port() {
    return port;
  }

  public Vertx clientVertx() {
    return clientVertx;
  }

  /** The running node's Vert.x, for a test that publishes on its event bus. */
  public Vertx serverVertx() {
    return node.vertx();
  }

  public DatabaseSettings database() {
    return database;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Wiring wiring() {
    return node.wiring();
  }

  /** The running node (its Vert.x and database pool, e.g. for a second job instance). */
  public KonsilNode node() {
    return node;
  }

  public long count(String sql) {
    return TestDatabase.count(database, sql);
  }

  // ---- fixtures ----

  /** A user with a password, known by e-mail. */
  public record TestUser(String email, String password, UUID organisationId) {}

  /** An active organisation and its first admin. */
  public record TestOrg(UUID id, String name, TestUser admin) {}

  /** A logged-in user. */
  public record Session(UUID userId, String accessToken, String refreshToken, TestUser user) {}

  public TestOrg organisation(String kind) {
    return organisation(kind, "Organisation " + NAMES.incrementAndGet());
  }

  /** An organisation with a name people would read, for screens and screenshots. */
  public TestOrg organisation(String kind, String name) {
    int n = NAMES.incrementAndGet();
    String adminEmail = "admin" + n + "@org" + n + ".test";
    CreatedOrganisation created =
        await(
            wiring()
                .organisations()
                .createWithAdmin(
                    new CreateOrganisationRequest(
                        kind, name, null, null, "Hamburg", null, null, adminEmail, "Admin " + n)));
    UUID id = created.organisation().id();
    setPassword(created.passwordLink());
    return new TestOrg(id, name, new TestUser(adminEmail, PASSWORD, id));
  }

  public TestUser user(TestOrg org) {
    return user(org, "User " + (NAMES.get() + 1));
  }

  /** A member of the organisation with this display name. */
  public TestUser user(TestOrg org, String displayName) {
    int n = NAMES.incrementAndGet();
    String email =
        "user" + n + "@" + org.admin().email().substring(org.admin().email().indexOf('@') + 1);
    String link =
        await(wiring().organisations().addUserWithLink(org.id(), email, displayName, "member"));
    setPassword(link);
    return new TestUser(email, PASSWORD, org.id());
  }

  public Session login(TestUser user) {
    Api.Response response =
        api.post(
            "/api/v1/auth/login",
            new JsonObject().put("email", user.email()).put("password", user.password()),
            null);
    if (response.status() != 200) {
      throw new AssertionError("login failed: " + response.status() + " " + response.body());
    }
    JsonObject body = response.json();
    return new Session(
        UUID.fromString(body.getJsonObject("user").getString("id")),
        body.getString("accessToken"),
        body.getString("refreshToken"),
        user);
  }

  /** A general room created over REST by the session's organisation with the partners. */
  public UUID room(Session creator, UUID... partners) {
    JsonArray ids = new JsonArray();
    for (UUID partner : partners) {
      ids.add(partner.toString());
    }
    Api.Response response =
        api.post(
            "/api/v1/rooms",
            new JsonObject()
                .put("title", "Room " + NAMES.incrementAndGet())
                .put("partnerOrganisationIds", ids),
            creator.accessToken());
    if (response.status() != 201) {
      throw new AssertionError("room creation failed: " + response.body());
    }
    return UUID.fromString(response.json().getString("id"));
  }

  /** A socket authenticated with a REST ticket, after its "ready" frame. */
  public TestSocket socket(Session session) {
    return socketWith(session, new io.vertx.core.http.WebSocketClientOptions());
  }

  public TestSocket socketWith(Session session, io.vertx.core.http.WebSocketClientOptions options) {
    String ticket =
        api.post("/api/v1/ws-tickets", null, session.accessToken()).json().getString("ticket");
    TestSocket socket =
        TestSocket.connect(clientVertx, port, "/api/v1/ws?ticket=" + ticket, options);
    socket.next("ready");
    return socket;
  }

  /** Sends a message over REST and answers its sequence number. */
  public long sendRest(Session session, UUID room, String content) {
    Api.Response response =
        api.post(
            "/api/v1/rooms/" + room + "/messages",
            new JsonObject()
                .put("clientMsgId", UUID.randomUUID().toString())
                .put("content", content),
            session.accessToken());
    if (response.status() != 201) {
      throw new AssertionError("send failed: " + response.body());
    }
    return response.json().getLong("seq");
  }

  /** A patient of the session's organisation, created over REST; answers its id. */
  public UUID patient(Session session, String familyName) {
    Api.Response response =
        api.post(
            "/api/v1/patients",
            new JsonObject()
                .put("familyName", familyName)
                .put("givenName", "Erika")
                .put("birthDate", "1941-03-07"),
            session.accessToken());
    if (response.status() != 201) {
      throw new AssertionError("patient creation failed: " + response.body());
    }
    return UUID.fromString(response.json().getString("id"));
  }

  /** Uploads a consent document for the patient covering the organisations. */
  public Api.Response uploadConsent(
      Session session,
      UUID patient,
      io.vertx.core.buffer.Buffer document,
      String contentType,
      UUID... organisations) {
    StringBuilder ids = new StringBuilder();
    for (UUID org : organisations) {
      ids.append(ids.length() == 0 ? "" : ",").append(org);
    }
    return api.send(
        io.vertx.core.http.HttpMethod.POST,
        "/api/v1/patients/" + patient + "/consents?organisations=" + ids,
        session.accessToken(),
        contentType,
        document);
  }

  /** A patient room created over REST. */
  public Api.Response patientRoom(Session creator, UUID patient, UUID... partners) {
    JsonArray ids = new JsonArray();
    for (UUID partner : partners) {
      ids.add(partner.toString());
    }
    return api.post(
        "/api/v1/rooms",
        new JsonObject()
            .put("kind", "patient")
            .put("patientId", patient.toString())
            .put("title", "Patient room " + NAMES.incrementAndGet())
            .put("partnerOrganisationIds", ids),
        creator.accessToken());
  }

  public void setPassword(String link) {
    String token = link.substring(link.indexOf("#token=") + "#token=".length());
    await(wiring().passwords().setPassword(token, PASSWORD));
  }

  public static <T> T await(io.vertx.core.Future<T> future) {
    try {
      return future.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A port nobody listens on right now, for a server a test starts. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
