package org.konsil.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.konsil.client.ClientOptions;
import org.konsil.client.KonsilClient;
import org.konsil.client.SecondFactorPrompt;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.event.UndecryptableMessage;
import org.konsil.client.store.StoreSettings;

/**
 * An end-to-end encrypted room beside a plain room with the same members, in one run: 10 users in
 * two organisations with 2 devices each (20 instances of the Java client library, each with its own
 * key-store folder), every device sending its share of N messages one after another (closed loop,
 * 20 senders), first into the plain room, then into the encrypted one. Measures sends per second
 * and the latency from the call of send to the delivery at each of the 19 other devices (plain: the
 * message event; encrypted: the decrypted event). Usage: {@code java -cp konsil-bench.jar
 * org.konsil.bench.EncryptedRoomBench [messages] [runs] [report.md] [server jar] [senders]}
 * (senders: how many of the 20 devices send, 20 by default).
 */
public final class EncryptedRoomBench {

  static final int USERS_PER_ORG = 5;
  static final int DEVICES_PER_USER = 2;

  /** Argon2id of the client's key stores, lowered: unlocking the store is not what is measured. */
  static final StoreSettings STORE = new StoreSettings(1024, 1, 1);

  private final List<KonsilClient> clients = new ArrayList<>();
  private volatile Phase phase;

  /** One measured batch of sends into one room. */
  private static final class Phase {
    final UUID room;
    final String tag;
    final AtomicLongArray sentAt;
    final Histogram latency = new Histogram(3_600_000_000L, 3);
    final CountDownLatch delivered;
    volatile int undecryptable;

    Phase(UUID room, String tag, int messages, int receivers) {
      this.room = room;
      this.tag = tag;
      this.sentAt = new AtomicLongArray(messages);
      this.delivered = new CountDownLatch(messages * receivers);
    }
  }

  /** The figures of one phase. */
  record Result(
      String room,
      int messages,
      double seconds,
      double sendsPerSecond,
      double allDeliveredSeconds,
      double p50Ms,
      double p99Ms,
      double maxMs,
      long deliveries,
      int undecryptable,
      double serverCpu,
      double databaseCpu,
      double clientCpu) {}

  private EncryptedRoomBench() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path report = Path.of(args.length > 2 ? args[2] : "bench/results/encrypted-room-10x2.md");
    Path jar = Path.of(args.length > 3 ? args[3] : "server/target/konsil.jar");
    int senders =
        args.length > 4 ? Integer.parseInt(args[4]) : USERS_PER_ORG * 2 * DEVICES_PER_USER;
    new EncryptedRoomBench().run(messages, runs, report, jar, senders);
    System.exit(0);
  }

  private void run(int messages, int runs, Path report, Path jar, int senders) throws Exception {
    Vertx vertx = Vertx.vertx();
    try (SystemUnderTest sut = SystemUnderTest.withEmbeddedDatabase(jar)) {
      String url = sut.startNodes(1, false).get(0);
      org.konsil.db.DurabilitySettings durability =
          org.konsil.db.DurabilitySettings.read(sut.database());
      String settings =
          "fsync=%s, synchronous_commit=%s, full_page_writes=%s"
              .formatted(
                  durability.fsync(), durability.synchronousCommit(), durability.fullPageWrites());
      System.out.println("database settings read back: " + settings);
      List<Seeder.Org> orgs = Seeder.seed(sut.environment(), "e2e", 2, USERS_PER_ORG);
      String token = login(url, orgs.get(0).emails().get(0));
      UUID plain = createRoom(url, token, "Bench plain", false, orgs.get(1).id());
      UUID encrypted = createRoom(url, token, "Bench encrypted", true, orgs.get(1).id());

      Path keys = Files.createTempDirectory("konsil-bench-keys");
      long setUp = System.nanoTime();
      List<Future<Void>> ready = new ArrayList<>();
      for (Seeder.Org org : orgs) {
        for (String email : org.emails()) {
          for (int d = 0; d < DEVICES_PER_USER; d++) {
            int index = clients.size();
            KonsilClient client =
                KonsilClient.create(
                    vertx,
                    new ClientOptions()
                        .setServer(url)
                        .setKeyStore(keys.resolve("device-" + index))
                        .setStoreSettings(STORE));
            client.onEvent(event -> received(index, event));
            clients.add(client);
            ready.add(
                client
                    .login(email, Seeder.PASSWORD, SecondFactorPrompt.NONE)
                    .compose(account -> client.openKeyStore(Seeder.PASSWORD.toCharArray()))
                    .compose(v -> client.devices().register("Bench device " + index))
                    .compose(id -> client.connect()));
          }
        }
      }
      Future.all(ready).await(300, TimeUnit.SECONDS);
      System.out.printf(
          "%d devices logged in, registered and connected in %.1f s%n",
          clients.size(), (System.nanoTime() - setUp) / 1e9);

      // one message from every device into each room first, not measured: the encrypted room's
      // sessions are built here (bundle fetches, prekey messages), and the JIT warms up
      Result warmPlain =
          measure(sut, plain, "warm-up plain", clients.size(), clients.size(), false);
      Result warmEncrypted =
          measure(sut, encrypted, "warm-up encrypted", clients.size(), clients.size(), true);
      System.out.println("warm-up: " + warmPlain + "\n         " + warmEncrypted);

      List<Result[]> results = new ArrayList<>();
      for (int r = 1; r <= runs; r++) {
        Result p = measure(sut, plain, "plain", messages, senders, false);
        Result e = measure(sut, encrypted, "encrypted", messages, senders, true);
        System.out.printf("run %d:%n  %s%n  %s%n", r, p, e);
        results.add(new Result[] {p, e});
      }
      String markdown = markdown(settings, messages, senders, results, warmPlain, warmEncrypted);
      Files.createDirectories(report.toAbsolutePath().getParent());
      Files.writeString(report, markdown);
      System.out.println(markdown);
    } finally {
      for (KonsilClient client : clients) {
        try {
          client.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          // closing at the end; nothing to keep
        }
      }
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Every device sends its share of the messages, one after another; waits for every delivery. */
  private Result measure(
      SystemUnderTest sut, UUID room, String tag, int messages, int senders, boolean e2e)
      throws Exception {
    Phase current = new Phase(room, tag, messages, clients.size() - 1);
    phase = current;
    double serverCpu = sut.serverCpuSeconds();
    double databaseCpu = sut.databaseCpuSeconds();
    double clientCpu = ProcStats.cpuSeconds(ProcessHandle.current().pid(), false);
    long started = System.nanoTime();
    List<Future<Void>> loops = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      loops.add(sendLoop(current, s, s, messages, senders, e2e));
    }
    Future.all(loops).await(600, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - started) / 1e9;
    if (!current.delivered.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          tag + ": " + current.delivered.getCount() + " deliveries missing after 300 s");
    }
    double allDelivered = (System.nanoTime() - started) / 1e9;
    Histogram h;
    synchronized (current.latency) {
      h = current.latency.copy();
    }
    return new Result(
        tag,
        messages,
        seconds,
        messages / seconds,
        allDelivered,
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0,
        h.getTotalCount(),
        current.undecryptable,
        sut.serverCpuSeconds() - serverCpu,
        sut.databaseCpuSeconds() - databaseCpu,
        ProcStats.cpuSeconds(ProcessHandle.current().pid(), false) - clientCpu);
  }

  /** Sender s sends messages s, s + step, s + 2 step, ... each after the previous one's ack. */
  private Future<Void> sendLoop(
      Phase current, int sender, int next, int messages, int step, boolean e2e) {
    if (next >= messages) {
      return Future.succeededFuture();
    }
    KonsilClient client = clients.get(sender);
    String text = current.tag + " " + next + " " + sender + " Blutdruck 140/90, Puls 72";
    current.sentAt.set(next, System.nanoTime());
    Future<?> ack =
        e2e ? client.encryptedRooms().send(current.room, text) : client.send(current.room, text);
    return ack.compose(a -> sendLoop(current, sender, next + step, messages, step, e2e));
  }

  private void received(int receiver, ClientEvent event) {
    long now = System.nanoTime();
    Phase current = phase;
    if (current == null) {
      return;
    }
    String text;
    if (event instanceof EncryptedMessage m && m.room().equals(current.room)) {
      text = m.text();
    } else if (event instanceof RoomMessage m && m.room().equals(current.room)) {
      text = m.content();
    } else if (event instanceof UndecryptableMessage m && m.room().equals(current.room)) {
      current.undecryptable++;
      return;
    } else {
      return;
    }
    if (text == null || !text.startsWith(current.tag + " ")) {
      return;
    }
    String[] parts = text.substring(current.tag.length() + 1).split(" ", 3);
    int message = Integer.parseInt(parts[0]);
    int sender = Integer.parseInt(parts[1]);
    if (sender == receiver) {
      return;
    }
    long micros = (now - current.sentAt.get(message)) / 1000;
    synchronized (current.latency) {
      current.latency.recordValue(Math.max(0, micros));
    }
    current.delivered.countDown();
  }

  private static String login(String url, String email) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url + "/api/v1/auth/login"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            new JsonObject()
                                .put("email", email)
                                .put("password", Seeder.PASSWORD)
                                .encode()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return new JsonObject(response.body()).getString("accessToken");
  }

  private static UUID createRoom(
      String url, String token, String title, boolean encrypted, UUID partner) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url + "/api/v1/rooms"))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + token)
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            new JsonObject()
                                .put("title", title)
                                .put("encrypted", encrypted)
                                .put(
                                    "partnerOrganisationIds",
                                    new JsonArray().add(partner.toString()))
                                .encode()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("room: " + response.statusCode() + " " + response.body());
    }
    return UUID.fromString(new JsonObject(response.body()).getString("id"));
  }

  private static double median(
      List<Result[]> results, int side, java.util.function.ToDoubleFunction<Result> f) {
    double[] values =
        results.stream().mapToDouble(r -> f.applyAsDouble(r[side])).sorted().toArray();
    return values[values.length / 2];
  }

  private static String markdown(
      String settings,
      int messages,
      int senders,
      List<Result[]> results,
      Result warmPlain,
      Result warmE2e) {
    StringBuilder md = new StringBuilder();
    md.append("# Encrypted room beside a plain room: 10 users x 2 devices\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "One Konsil node, embedded PostgreSQL. Database settings, read back from the running"
                + " PostgreSQL: %s. 20 instances of the Java client library in one process (one"
                + " key-store folder each, Argon2id of the stores lowered to %d KiB, %d pass: not"
                + " what is measured). Closed loop: each of %d devices sends its share of %d"
                + " messages one after another (next send after the previous ack), first into the"
                + " plain room, then into the encrypted one. Latency: from the call of send to the"
                + " event at each of the 19 other devices (plain: `RoomMessage`; encrypted: the"
                + " decrypted `EncryptedMessage`). Before the runs, one unmeasured message per device"
                + " into each room (builds the sessions).%n%n",
            settings,
            STORE.memoryKib(),
            STORE.iterations(),
            senders,
            messages));
    md.append(
        "| run | room | sends/s | p50 ms | p99 ms | max ms | deliveries | undecryptable |"
            + " all delivered s | CPU-s server / db / clients |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|\n");
    List<Result[]> rows = new ArrayList<>(results);
    rows.add(0, new Result[] {warmPlain, warmE2e});
    for (int i = 0; i < rows.size(); i++) {
      for (Result r : rows.get(i)) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.1f | %.1f | %.1f | %.1f | %d | %d | %.2f | %.1f / %.1f / %.1f |%n",
                i == 0 ? "warm-up" : Integer.toString(i),
                r.room(),
                r.sendsPerSecond(),
                r.p50Ms(),
                r.p99Ms(),
                r.maxMs(),
                r.deliveries(),
                r.undecryptable(),
                r.allDeliveredSeconds(),
                r.serverCpu(),
                r.databaseCpu(),
                r.clientCpu()));
      }
    }
    md.append("\nEncrypted against plain, per run (same run): ");
    for (Result[] r : results) {
      md.append(
          String.format(
              Locale.ROOT,
              "sends/s x%.2f, p99 x%.2f; ",
              r[1].sendsPerSecond() / r[0].sendsPerSecond(),
              r[1].p99Ms() / r[0].p99Ms()));
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%n%nMedian of %d runs: plain %.1f sends/s, p50 %.1f ms, p99 %.1f ms; encrypted %.1f"
                + " sends/s, p50 %.1f ms, p99 %.1f ms.%n",
            results.size(),
            median(results, 0, Result::sendsPerSecond),
            median(results, 0, Result::p50Ms),
            median(results, 0, Result::p99Ms),
            median(results, 1, Result::sendsPerSecond),
            median(results, 1, Result::p50Ms),
            median(results, 1, Result::p99Ms)));
    return md.toString();
  }
}
