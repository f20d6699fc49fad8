package org.konsil.server.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.konsil.db.EmbeddedDatabase;

/**
 * Konsil as an operator starts it with nothing configured: a separate JVM with its own embedded
 * PostgreSQL (a process of its own) in a data folder, with the demo organisations. For the tests
 * that kill processes.
 */
public final class EmbeddedKonsil implements AutoCloseable {

  public static final String DEMO_USER = "anna.berger@praxis-am-markt.example";
  public static final String DEMO_PASSWORD = "konsil-demo-2026";

  private final Path dataDir;
  private final int port;
  private final KonsilProcess process;
  private final Api api;

  private EmbeddedKonsil(Path dataDir, int port, KonsilProcess process, Api api) {
    this.dataDir = dataDir;
    this.port = port;
    this.process = process;
    this.api = api;
  }

  /** Starts Konsil with --demo on the data folder and waits until it serves. */
  public static EmbeddedKonsil start(Vertx client, Path dataDir) {
    int port = KonsilServer.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("KONSIL_DATA_DIR", dataDir.toString());
    env.put("KONSIL_HTTP_PORT", Integer.toString(port));
    env.put("KONSIL_ARGON2_MEMORY_KIB", "1024");
    env.put("KONSIL_ARGON2_ITERATIONS", "1");
    env.put("KONSIL_SHUTDOWN_GRACE_SECONDS", "10");
    try {
      Files.createDirectories(dataDir);
      KonsilProcess process = KonsilProcess.start(env, Scratch.folder("konsil-work"), "--demo");
      process.awaitLine("Konsil listens on", 120);
      // the demo users are there once the instructions are printed
      process.awaitLine(DEMO_PASSWORD, 120);
      return new EmbeddedKonsil(dataDir, port, process, new Api(client, port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public KonsilProcess process() {
    return process;
  }

  public Api api() {
    return api;
  }

  public int port() {
    return port;
  }

  public Path postgresFolder() {
    return dataDir.resolve("postgres");
  }

  /** The pid of the embedded PostgreSQL's postmaster, which must be running. */
  public long postmasterPid() {
    try {
      return EmbeddedDatabase.postmasterPid(postgresFolder().resolve("pgdata"))
          .orElseThrow(() -> new AssertionError("the embedded PostgreSQL does not run"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The demo practice admin's access token. */
  public String login() {
    Api.Response login =
        api.post(
            "/api/v1/auth/login",
            new JsonObject().put("email", DEMO_USER).put("password", DEMO_PASSWORD),
            null);
    if (login.status() != 200) {
      throw new AssertionError("login failed: " + login.body());
    }
    return login.json().getString("accessToken");
  }

  /** The demo's general room of the practice and the care home. */
  public UUID generalRoom(String access) {
    for (Object room : api.get("/api/v1/rooms", access).array()) {
      JsonObject json = (JsonObject) room;
      if ("general".equals(json.getString("kind"))) {
        return UUID.fromString(json.getString("id"));
      }
    }
    throw new AssertionError("the demo has no general room");
  }

  public TestSocket socket(Vertx client, String access) {
    String ticket = api.post("/api/v1/ws-tickets", null, access).json().getString("ticket");
    TestSocket socket = TestSocket.connect(client, port, "/api/v1/ws?ticket=" + ticket);
    socket.next("ready");
    return socket;
  }

  /**
   * A power cut as far as processes go: Konsil and every process of its PostgreSQL get SIGKILL at
   * once, and this returns when all of them are gone.
   */
  public void killEverything() {
    List<ProcessHandle> victims = new ArrayList<>();
    ProcessHandle postmaster = ProcessHandle.of(postmasterPid()).orElseThrow();
    victims.add(postmaster);
    victims.addAll(postmaster.descendants().toList());
    process.kill();
    victims.forEach(ProcessHandle::destroyForcibly);
    process.awaitExit(60);
    for (ProcessHandle victim : victims) {
      try {
        victim.onExit().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("process " + victim.pid() + " did not die", e);
      }
    }
  }

  /**
   * A connection to the embedded database as its superuser, with the password Konsil generated, on
   * the port of the running PostgreSQL.
   */
  public Connection superuser() throws SQLException {
    Properties credentials = new Properties();
    try (Reader in = Files.newBufferedReader(postgresFolder().resolve("credentials"))) {
      credentials.load(in);
      List<String> pid = Files.readAllLines(postgresFolder().resolve("pgdata/postmaster.pid"));
      return DriverManager.getConnection(
          "jdbc:postgresql://127.0.0.1:"
              + pid.get(3).trim()
              + "/"
              + credentials.getProperty("database"),
          EmbeddedDatabase.SUPERUSER,
          credentials.getProperty("superuser.password"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Stops Konsil as an operator would (SIGTERM), and any PostgreSQL a test's kill left running on
   * its folder, so that no test leaves a database process behind.
   */
  @Override
  public void close() {
    process.terminate();
    try {
      process.awaitExit(60);
    } finally {
      process.close();
      try {
        EmbeddedDatabase.postmasterPid(postgresFolder().resolve("pgdata"))
            .ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
