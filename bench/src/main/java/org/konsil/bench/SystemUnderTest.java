package org.konsil.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.konsil.db.DatabaseSettings;
import org.konsil.db.EmbeddedDatabase;
import org.konsil.db.Folders;

/**
 * The Konsil under measurement: an embedded PostgreSQL and one or two Konsil server processes
 * started by the benchmark (or a running Konsil given by URL), with their process ids for CPU and
 * memory readings.
 */
final class SystemUnderTest implements AutoCloseable {

  static final String JWT_SECRET =
      Base64.getEncoder().encodeToString("konsil benchmark signing secret, 32+ bytes".getBytes());

  /** One audit key for the seeder and every node, as operations.md asks of a cluster. */
  static final String AUDIT_KEY =
      Base64.getEncoder().encodeToString("konsil benchmark audit key, 32+ bytes!".getBytes());

  static final String CLUSTER_STORE_PASSWORD = "konsil benchmark cluster store";
  static final String CLUSTER_SECRET = "konsil benchmark cluster secret, 32+ characters";

  private final Path work;
  private final EmbeddedDatabase database;
  private final DatabaseSettings settings;
  private final Path serverJar;
  private final List<Node> nodes = new ArrayList<>();

  /** One Konsil server process. */
  record Node(Process process, int port, Path log) {
    String url() {
      return "http://127.0.0.1:" + port;
    }
  }

  private SystemUnderTest(
      Path work, EmbeddedDatabase database, DatabaseSettings settings, Path jar) {
    this.work = work;
    this.database = database;
    this.settings = settings;
    this.serverJar = jar;
  }

  /** Starts an embedded PostgreSQL for the benchmark; Konsil nodes follow with startNodes. */
  static SystemUnderTest withEmbeddedDatabase(Path serverJar) throws IOException {
    if (!Files.isRegularFile(serverJar)) {
      throw new IllegalStateException(
          serverJar + " is missing: build it first (mvn -q -DskipTests package)");
    }
    Path work = Files.createTempDirectory("konsil-bench");
    EmbeddedDatabase database = EmbeddedDatabase.start(work.resolve("postgres"), 0);
    return new SystemUnderTest(work, database, database.superuser(), serverJar);
  }

  /** A Konsil someone else runs; only its database URL is known. */
  static SystemUnderTest external(String databaseUrl) throws IOException {
    return new SystemUnderTest(
        Files.createTempDirectory("konsil-bench"),
        null,
        DatabaseSettings.fromUrl(databaseUrl),
        null);
  }

  String databaseUrl() {
    return url(settings);
  }

  private static String url(DatabaseSettings settings) {
    return "postgresql://"
        + settings.user()
        + (settings.password().isEmpty() ? "" : ":" + settings.password())
        + "@"
        + settings.host()
        + ":"
        + settings.port()
        + "/"
        + settings.database();
  }

  DatabaseSettings database() {
    return settings;
  }

  private final Map<String, String> extra = new HashMap<>();

  /** Variables a benchmark adds for its nodes (an SMTP server, a rate); set before they start. */
  Map<String, String> extraEnvironment() {
    return extra;
  }

  /** The environment Konsil nodes and the seeder share. */
  Map<String, String> environment() {
    Map<String, String> env = new HashMap<>(extra);
    if (database != null) {
      // the nodes run as the embedded database's application role, as Konsil does by default
      env.put("KONSIL_DATABASE_URL", url(database.roles().application()));
      env.put("KONSIL_DATABASE_MIGRATION_URL", url(database.roles().owner()));
    } else {
      env.put("KONSIL_DATABASE_URL", databaseUrl());
    }
    env.put("KONSIL_JWT_SECRET", JWT_SECRET);
    env.put("KONSIL_AUDIT_KEY", AUDIT_KEY);
    // logins are not what is measured: cheap password hashing keeps set-up short
    env.put("KONSIL_ARGON2_MEMORY_KIB", "1024");
    env.put("KONSIL_ARGON2_ITERATIONS", "1");
    env.put("KONSIL_LOGIN_DELAY_STEP_MS", "0");
    // the seeder logs a thousand users in at once from one address, which the per-address
    // throttle counts while they run
    env.put("KONSIL_LOGIN_MAX_FAILURES_PER_ADDRESS", "10000");
    env.put("KONSIL_SHUTDOWN_GRACE_SECONDS", "5");
    env.put("KONSIL_DATA_DIR", work.resolve("seed").toString());
    return env;
  }

  /**
   * The key store both nodes share for the event bus's mutual TLS, made once with the JDK's keytool
   * as operations.md tells operators to.
   */
  private Path clusterKeyStore() throws IOException {
    Path file = work.resolve("cluster.p12");
    if (Files.exists(file)) {
      return file;
    }
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "konsil-cluster",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=konsil-cluster",
                "-validity",
                "30",
                "-storetype",
                "PKCS12",
                "-keystore",
                file.toString(),
                "-storepass",
                CLUSTER_STORE_PASSWORD,
                "-keypass",
                CLUSTER_STORE_PASSWORD)
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes());
    try {
      if (keytool.waitFor() != 0) {
        throw new IOException("keytool failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making the cluster key store", e);
    }
    return file;
  }

  /** Starts Konsil nodes (two form a Hazelcast cluster on loopback); answers their URLs. */
  List<String> startNodes(int count, boolean withoutDatabase) throws IOException {
    stopNodes();
    int[] clusterPorts = {freePort(), freePort()};
    String members = "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1];
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int port = freePort();
      Map<String, String> env = new HashMap<>(environment());
      env.put("KONSIL_HTTP_PORT", Integer.toString(port));
      env.put("KONSIL_DATA_DIR", work.resolve("node-" + i).toString());
      if (count > 1) {
        env.put("KONSIL_CLUSTER", "hazelcast");
        env.put("KONSIL_CLUSTER_PORT", Integer.toString(clusterPorts[i]));
        env.put("KONSIL_CLUSTER_MEMBERS", members);
        env.put("KONSIL_CLUSTER_KEYSTORE", clusterKeyStore().toString());
        env.put("KONSIL_CLUSTER_KEYSTORE_PASSWORD", CLUSTER_STORE_PASSWORD);
        env.put("KONSIL_CLUSTER_SECRET", CLUSTER_SECRET);
      }
      if (withoutDatabase) {
        env.put("KONSIL_BENCH_WITHOUT_DATABASE", "true");
      }
      Path log = work.resolve("node-" + i + ".log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      // a fixed heap, touched at start: resident memory then grows only outside the heap
      command.add("-Xms1g");
      command.add("-Xmx1g");
      command.add("-XX:+AlwaysPreTouch");
      // e.g. -XX:StartFlightRecording=... to profile the server under load
      String extra = System.getenv("KONSIL_BENCH_SERVER_JAVA_OPTIONS");
      if (extra != null && !extra.isBlank()) {
        command.addAll(List.of(extra.trim().split("\\s+")));
      }
      command.add("-jar");
      command.add(serverJar.toAbsolutePath().toString());
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(env);
      nodes.add(new Node(builder.start(), port, log));
    }
    for (Node node : nodes) {
      awaitLine(node, "Konsil listens on", Duration.ofSeconds(120));
      urls.add(node.url());
    }
    if (count > 1) {
      for (Node node : nodes) {
        awaitLine(node, "Members {size:" + count, Duration.ofSeconds(60));
      }
    }
    return urls;
  }

  void stopNodes() {
    for (Node node : nodes) {
      node.process().destroy();
      try {
        node.process().waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    nodes.clear();
  }

  List<Node> nodes() {
    return nodes;
  }

  /** The postmaster's process id, when the benchmark runs the database. */
  OptionalLong postmaster() {
    if (database == null) {
      return OptionalLong.empty();
    }
    try {
      return EmbeddedDatabase.postmasterPid(database.pgdata());
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  double serverCpuSeconds() {
    return nodes.stream().mapToDouble(n -> ProcStats.cpuSeconds(n.process().pid(), true)).sum();
  }

  double databaseCpuSeconds() {
    return postmaster().isPresent() ? ProcStats.postgresCpuSeconds(postmaster().getAsLong()) : 0;
  }

  long serverResidentBytes() {
    return nodes.stream().mapToLong(n -> ProcStats.residentBytes(n.process().pid())).sum();
  }

  /** Heap in use after a full collection, summed over the nodes (jcmd GC.run, then /metrics). */
  long serverHeapAfterGc() throws IOException, InterruptedException {
    long total = 0;
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (Node node : nodes) {
      Process gc =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                  Long.toString(node.process().pid()),
                  "GC.run")
              .redirectErrorStream(true)
              .start();
      gc.getInputStream().readAllBytes();
      gc.waitFor();
      String metrics = metrics(http, node);
      for (String line : metrics.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return total;
  }

  /**
   * Statements that stored text messages and the messages they stored, summed over the nodes (the
   * batcher's {@code konsil.messages.batch.size} summary, from /metrics): their quotient is how
   * many messages a statement stored.
   */
  double[] messageStatements() throws IOException, InterruptedException {
    double statements = 0;
    double messages = 0;
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (Node node : nodes) {
      for (String line : metrics(http, node).split("\n")) {
        double value = line.startsWith("konsil_messages_batch_size_") ? value(line) : 0;
        if (line.startsWith("konsil_messages_batch_size_count")) {
          statements += value;
        } else if (line.startsWith("konsil_messages_batch_size_sum")) {
          messages += value;
        }
      }
    }
    return new double[] {statements, messages};
  }

  private static double value(String line) {
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  /**
   * The node's metrics page; asked once more when the connection ends without an answer (seen once
   * in a run of the large preset, right after the closed loop; the node was up and logged nothing).
   */
  private static String metrics(HttpClient http, Node node)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/metrics")).build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException unanswered) {
      System.out.println("metrics unanswered (" + unanswered + "); asking again");
      return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }
  }

  /** Prints the classes that take most of the first node's heap (jcmd GC.class_histogram). */
  void printHeapHistogram(int lines) throws IOException, InterruptedException {
    Process histogram =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(nodes.get(0).process().pid()),
                "GC.class_histogram")
            .redirectErrorStream(true)
            .start();
    String[] output = new String(histogram.getInputStream().readAllBytes()).split("\n");
    histogram.waitFor();
    for (int i = 0; i < Math.min(lines, output.length); i++) {
      System.out.println(output[i]);
    }
  }

  private static void awaitLine(Node node, String text, Duration limit) throws IOException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(node.log()) && Files.readString(node.log()).contains(text)) {
        return;
      }
      if (!node.process().isAlive()) {
        throw new IllegalStateException(
            "Konsil stopped while starting:\n" + Files.readString(node.log()));
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException(
        "no '" + text + "' from Konsil within " + limit + ":\n" + Files.readString(node.log()));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * Stops the nodes and the database, then deletes their data (a gigabyte or more after a run); the
   * nodes' logs stay in the work folder.
   */
  @Override
  public void close() {
    stopNodes();
    if (database != null) {
      database.close();
    }
    try (var entries = Files.list(work)) {
      entries.filter(Files::isDirectory).forEach(Folders::deleteQuietly);
    } catch (IOException e) {
      // left in the temporary folder
    }
  }
}
