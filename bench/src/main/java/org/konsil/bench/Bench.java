package org.konsil.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * The benchmark: starts Konsil (or measures a running one), creates organisations, users and rooms,
 * drives WebSocket traffic, measures the ceilings in the same run, and writes a JSON and a Markdown
 * report with medians over the runs.
 */
public final class Bench {

  private final BenchOptions options;
  private final List<JsonObject> runs = new ArrayList<>();
  private final List<JsonObject> withoutDatabase = new ArrayList<>();
  private final List<Double> pgCeiling = new ArrayList<>();
  private final List<PgCeiling.Latency> pgAtRate = new ArrayList<>();
  private JsonObject database = new JsonObject();

  private Bench(BenchOptions options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    run(options);
    System.exit(0);
  }

  /** Runs the benchmark; answers the report that was also written to the output folder. */
  static JsonObject run(BenchOptions options) throws Exception {
    return new Bench(options).run();
  }

  private JsonObject run() throws Exception {
    try (SystemUnderTest sut =
        options.url().isPresent()
            ? SystemUnderTest.external(options.databaseUrl().get())
            : SystemUnderTest.withEmbeddedDatabase(options.serverJar())) {
      if (options.ceilings()) {
        fanOutCeiling(sut);
      }
      List<String> urls =
          options.url().isPresent()
              ? List.of(options.url().get())
              : sut.startNodes(options.nodes(), false);
      // read back from the running database, never assumed
      org.konsil.db.DurabilitySettings durability =
          org.konsil.db.DurabilitySettings.read(sut.database());
      database =
          new JsonObject()
              .put("fsync", durability.fsync())
              .put("synchronousCommit", durability.synchronousCommit())
              .put("fullPageWrites", durability.fullPageWrites());
      List<Seeder.Org> orgs =
          Seeder.seed(sut.environment(), "main", options.rooms(), options.members());
      List<Seeder.Org> idleOrgs =
          options.idle() == 0
              ? List.of()
              : Seeder.seed(sut.environment(), "idle", Math.max(1, options.idle() / 100), 10);
      List<String> rooms;
      try (Load setup = new Load(urls)) {
        rooms = setup.createRooms(orgs);
      }
      for (int run = 1; run <= options.runs(); run++) {
        System.out.printf("run %d of %d%n", run, options.runs());
        runs.add(measure(sut, urls, orgs, rooms, idleOrgs));
      }
      if (options.ceilings()) {
        sut.stopNodes();
        databaseCeiling(sut, orgs, rooms);
      }
    }
    return report();
  }

  /** One run: connect, open loop at the target rate, closed loop, and idle connections. */
  private JsonObject measure(
      SystemUnderTest sut,
      List<String> urls,
      List<Seeder.Org> orgs,
      List<String> rooms,
      List<Seeder.Org> idleOrgs)
      throws Exception {
    JsonObject result = new JsonObject();
    try (Load load = new Load(urls)) {
      long connectStart = System.nanoTime();
      load.connect(orgs, rooms);
      result.put("connections", load.activeConnections());
      result.put("connectSeconds", (System.nanoTime() - connectStart) / 1e9);
      Histogram setup = load.setupTimes();
      result.put("setupP50Ms", setup.getValueAtPercentile(50) / 1000.0);
      result.put("setupP99Ms", setup.getValueAtPercentile(99) / 1000.0);

      result.put("open", phase(sut, load, "open", options.openRate()));
      result.put("closed", phase(sut, load, "closed", 0));

      if (options.idle() > 0 && options.url().isEmpty()) {
        // The server's heap is committed and touched at start (AlwaysPreTouch), so resident
        // memory grows only by what lives outside the heap; the live heap after a full
        // collection counts the rest. Together: what an idle connection costs the server.
        int histogramLines = histogramLines();
        if (histogramLines > 0) {
          System.out.println("heap before the idle connections:");
          sut.printHeapHistogram(histogramLines);
        }
        long heapBefore = sut.serverHeapAfterGc();
        long rssBefore = sut.serverResidentBytes();
        load.openIdle(idleOrgs, options.idle());
        long heapAfter = sut.serverHeapAfterGc();
        long rssAfter = sut.serverResidentBytes();
        int idle = load.idleConnections();
        result.put("idleConnections", idle);
        result.put("rssBeforeIdleBytes", rssBefore);
        result.put("heapPerIdleConnectionBytes", (heapAfter - heapBefore) / (double) idle);
        result.put("nativePerIdleConnectionBytes", (rssAfter - rssBefore) / (double) idle);
        result.put(
            "memoryPerIdleConnectionBytes",
            (rssAfter - rssBefore + heapAfter - heapBefore) / (double) idle);
        if (histogramLines > 0) {
          System.out.println("heap with the idle connections:");
          sut.printHeapHistogram(histogramLines);
        }
        result.put("openWithIdle", phase(sut, load, "open+idle", options.openRate()));
      }
    }
    return result;
  }

  /**
   * Lines of the server's heap histogram to print before and after the idle connections open:
   * {@code KONSIL_BENCH_HISTOGRAM=N} (a diagnostic; {@code 1} or any other text prints 25).
   */
  private static int histogramLines() {
    String lines = System.getenv("KONSIL_BENCH_HISTOGRAM");
    if (lines == null) {
      return 0;
    }
    try {
      return Math.max(25, Integer.parseInt(lines.trim()));
    } catch (NumberFormatException e) {
      return 25;
    }
  }

  private JsonObject phase(SystemUnderTest sut, Load load, String name, int rate)
      throws IOException, InterruptedException {
    double server = sut.serverCpuSeconds();
    double database = sut.databaseCpuSeconds();
    double generator = ProcStats.cpuSeconds(ProcessHandle.current().pid(), false);
    double[] statements = sut.messageStatements();
    Load.Phase phase = load.run(name, rate, options.senders(), 3, options.seconds());
    double[] statementsAfter = sut.messageStatements();
    JsonObject json = phaseJson(phase);
    json.put("cpuServerSeconds", sut.serverCpuSeconds() - server);
    json.put("cpuDatabaseSeconds", sut.databaseCpuSeconds() - database);
    json.put(
        "cpuGeneratorSeconds",
        ProcStats.cpuSeconds(ProcessHandle.current().pid(), false) - generator);
    if (statementsAfter[0] > statements[0]) {
      // warm-up included, like the CPU figures
      json.put(
          "messagesPerStatement",
          (statementsAfter[1] - statements[1]) / (statementsAfter[0] - statements[0]));
    }
    System.out.println("  " + name + ": " + json.encode());
    return json;
  }

  private static JsonObject phaseJson(Load.Phase phase) {
    return new JsonObject()
        .put("seconds", phase.seconds())
        .put("ackedPerSecond", phase.ackedPerSecond())
        .put("deliveredPerSecond", phase.deliveredPerSecond())
        .put("refused", phase.refused())
        .put("lost", phase.lost())
        .put("duplicated", phase.duplicated())
        .put("ackMs", latency(phase.ack()))
        .put("deliveryMs", latency(phase.delivery()));
  }

  private static JsonObject latency(Histogram h) {
    return new JsonObject()
        .put("p50", h.getValueAtPercentile(50) / 1000.0)
        .put("p99", h.getValueAtPercentile(99) / 1000.0)
        .put("p999", h.getValueAtPercentile(99.9) / 1000.0)
        .put("max", h.getMaxValue() / 1000.0)
        .put("count", h.getTotalCount());
  }

  /** WebSocket fan-out with the database switched off: a bench-only Konsil node. */
  private void fanOutCeiling(SystemUnderTest sut) throws Exception {
    List<String> urls = sut.startNodes(1, true);
    List<Seeder.Org> orgs =
        Seeder.seed(sut.environment(), "nodb", options.rooms(), options.members());
    try (Load load = new Load(urls)) {
      List<String> rooms = load.createRooms(orgs);
      load.connect(orgs, rooms);
      for (int run = 1; run <= options.runs(); run++) {
        System.out.printf("database-off ceiling, run %d of %d%n", run, options.runs());
        withoutDatabase.add(phase(sut, load, "closed, database off", 0));
      }
    }
    sut.stopNodes();
  }

  /** pgbench with the message write, as many clients as Konsil's pool, on the same database. */
  private void databaseCeiling(SystemUnderTest sut, List<Seeder.Org> orgs, List<String> rooms)
      throws Exception {
    Optional<Path> pgbench = PgCeiling.pgbench();
    if (pgbench.isEmpty()) {
      System.out.println("pgbench not found (apt-get install postgresql-client): no ceiling");
      return;
    }
    String email = orgs.get(0).emails().get(0);
    PgCeiling.prepare(
        sut.database(), rooms, PgCeiling.userId(sut.database(), email), orgs.get(0).id());
    for (int run = 1; run <= options.runs(); run++) {
      double tps =
          PgCeiling.run(pgbench.get(), sut.database(), rooms.size(), 16, options.seconds());
      System.out.printf(
          "PostgreSQL ceiling, run %d of %d: %.0f messages/s%n", run, options.runs(), tps);
      pgCeiling.add(tps);
      PgCeiling.Latency latency =
          PgCeiling.atRate(
              pgbench.get(),
              sut.database(),
              rooms.size(),
              16,
              options.seconds(),
              options.openRate());
      System.out.printf(
          "PostgreSQL alone at %d writes/s, run %d of %d: p50 %.1f ms, p99 %.1f ms (%d writes)%n",
          options.openRate(), run, options.runs(), latency.p50(), latency.p99(), latency.count());
      pgAtRate.add(latency);
    }
  }

  // ---------------------------------------------------------------- report

  private JsonObject report() throws IOException {
    JsonObject medians = new JsonObject();
    for (String key :
        List.of(
            "connections",
            "connectSeconds",
            "setupP50Ms",
            "setupP99Ms",
            "memoryPerIdleConnectionBytes",
            "nativePerIdleConnectionBytes",
            "heapPerIdleConnectionBytes")) {
      medianInto(medians, key, runs.stream().map(r -> r.getValue(key)).toList());
    }
    for (String phase : List.of("open", "closed", "openWithIdle")) {
      if (runs.isEmpty() || !runs.get(0).containsKey(phase)) {
        continue;
      }
      medians.put(phase, medianPhase(runs.stream().map(r -> r.getJsonObject(phase)).toList()));
    }
    if (!withoutDatabase.isEmpty()) {
      medians.put("databaseOff", medianPhase(withoutDatabase));
    }
    if (!pgCeiling.isEmpty()) {
      medians.put("postgresMessagesPerSecond", median(pgCeiling));
    }
    if (!pgAtRate.isEmpty()) {
      medians.put("postgresAtOpenRateP50Ms", median(pgAtRate.stream().map(l -> l.p50()).toList()));
      medians.put("postgresAtOpenRateP99Ms", median(pgAtRate.stream().map(l -> l.p99()).toList()));
    }
    JsonObject closed = medians.getJsonObject("closed");
    if (closed != null && medians.containsKey("databaseOff")) {
      medians.put(
          "closedToDatabaseOff",
          closed.getDouble("ackedPerSecond")
              / medians.getJsonObject("databaseOff").getDouble("ackedPerSecond"));
    }
    if (closed != null && medians.containsKey("postgresMessagesPerSecond")) {
      medians.put(
          "closedToPostgres",
          closed.getDouble("ackedPerSecond") / medians.getDouble("postgresMessagesPerSecond"));
    }
    JsonObject report =
        new JsonObject()
            .put("date", Instant.now().toString())
            .put("preset", options.preset().name().toLowerCase())
            .put("rooms", options.rooms())
            .put("members", options.members())
            .put(
                "nodes", options.url().isPresent() ? "external" : Integer.toString(options.nodes()))
            .put("runs", options.runs())
            .put("secondsPerPhase", options.seconds())
            .put("openRate", options.openRate())
            .put("closedSenders", options.senders())
            .put("idleConnections", options.idle())
            .put("machine", machine())
            .put("database", database)
            .put("medians", medians)
            .put("allRuns", new JsonArray(runs))
            .put("databaseOffRuns", new JsonArray(withoutDatabase))
            .put("postgresRuns", new JsonArray(pgCeiling))
            .put(
                "postgresAtOpenRateRuns",
                new JsonArray(
                    pgAtRate.stream()
                        .map(
                            l ->
                                new JsonObject()
                                    .put("p50Ms", l.p50())
                                    .put("p99Ms", l.p99())
                                    .put("writes", l.count()))
                        .toList()));
    Files.createDirectories(options.out());
    String name = options.preset().name().toLowerCase() + "-" + options.nodes() + "node";
    Files.writeString(options.out().resolve(name + ".json"), report.encodePrettily());
    String markdown = Markdown.of(report);
    Files.writeString(options.out().resolve(name + ".md"), markdown);
    System.out.println(markdown);
    return report;
  }

  private static JsonObject machine() {
    JsonObject machine =
        new JsonObject()
            .put("cores", Runtime.getRuntime().availableProcessors())
            .put("java", System.getProperty("java.version"))
            .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
            .put(
                "note",
                "server, PostgreSQL and load generator share these cores; figures are medians");
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          machine.put("cpu", line.substring(line.indexOf(':') + 1).trim());
          break;
        }
      }
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal")) {
          machine.put("memory", line.substring(line.indexOf(':') + 1).trim());
          break;
        }
      }
    } catch (IOException e) {
      // not Linux: the core count says enough
    }
    return machine;
  }

  private static JsonObject medianPhase(List<JsonObject> phases) {
    JsonObject result = new JsonObject();
    for (String key : phases.get(0).fieldNames()) {
      Object first = phases.get(0).getValue(key);
      if (first instanceof JsonObject) {
        result.put(key, medianPhase(phases.stream().map(p -> p.getJsonObject(key)).toList()));
      } else {
        medianInto(result, key, phases.stream().map(p -> p.getValue(key)).toList());
      }
    }
    return result;
  }

  private static void medianInto(JsonObject into, String key, List<Object> values) {
    List<Double> numbers = new ArrayList<>();
    for (Object value : values) {
      if (value instanceof Number n) {
        numbers.add(n.doubleValue());
      }
    }
    if (!numbers.isEmpty()) {
      into.put(key, median(numbers));
    }
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
