package org.konsil.bench;

import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.konsil.db.DatabaseSettings;

/**
 * Exports one room of many messages as a FHIR Bundle from a node whose heap is capped far below the
 * bundle's size, and reports the time, the size and the node's peak resident memory: the export
 * only finishes if it streams. Usage: {@code java -cp konsil-bench.jar org.konsil.bench.ExportBench
 * [messages] [server jar]}; the heap cap comes from KONSIL_BENCH_SERVER_JAVA_OPTIONS (e.g. {@code
 * -Xms64m -Xmx64m}).
 */
public final class ExportBench {

  private ExportBench() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path jar = Path.of(args.length > 1 ? args[1] : "server/target/konsil.jar");
    try (SystemUnderTest sut = SystemUnderTest.withEmbeddedDatabase(jar)) {
      List<Seeder.Org> orgs = Seeder.seed(sut.environment(), "export", 1, 1);
      String admin = orgs.get(0).emails().get(0);
      UUID room = UUID.randomUUID();
      long seeded = System.nanoTime();
      fill(sut.database(), orgs.get(0).id(), admin, room, messages);
      System.out.printf(
          "stored %,d messages in %.1f s%n", messages, (System.nanoTime() - seeded) / 1e9);
      String url = sut.startNodes(1, false).get(0);
      long pid = sut.nodes().get(0).process().pid();
      HttpClient http = HttpClient.newHttpClient();
      String token =
          new JsonObject(
                  http.send(
                          HttpRequest.newBuilder(URI.create(url + "/api/v1/auth/login"))
                              .header("Content-Type", "application/json")
                              .POST(
                                  HttpRequest.BodyPublishers.ofString(
                                      new JsonObject()
                                          .put("email", admin)
                                          .put("password", Seeder.PASSWORD)
                                          .encode()))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body())
              .getString("accessToken");
      long before = ProcStats.residentBytes(pid);
      AtomicLong peak = new AtomicLong(before);
      Thread sampler =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  peak.accumulateAndGet(ProcStats.residentBytes(pid), Math::max);
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      sampler.setDaemon(true);
      sampler.start();
      long started = System.nanoTime();
      HttpResponse<InputStream> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/api/v1/rooms/" + room + "/fhir"))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      long bytes = 0;
      long firstByte = -1;
      byte[] block = new byte[64 * 1024];
      byte[] last = new byte[2];
      try (InputStream in = response.body()) {
        int read;
        while ((read = in.read(block)) > 0) {
          if (firstByte < 0) {
            firstByte = System.nanoTime() - started;
          }
          bytes += read;
          if (read >= 2) {
            System.arraycopy(block, read - 2, last, 0, 2);
          }
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      sampler.interrupt();
      boolean whole = response.statusCode() == 200 && new String(last).equals("]}");
      System.out.printf(
          "export of %,d messages: status %d, %s, %,d bytes in %.1f s (%.1f MB/s, %,.0f"
              + " messages/s), first byte after %.0f ms; node resident memory %.0f MiB before,"
              + " %.0f MiB at most during the export; server options: %s%n",
          messages,
          response.statusCode(),
          whole ? "a whole bundle" : "CUT OFF",
          bytes,
          seconds,
          bytes / seconds / 1e6,
          messages / seconds,
          firstByte / 1e6,
          before / 1048576.0,
          peak.get() / 1048576.0,
          System.getenv("KONSIL_BENCH_SERVER_JAVA_OPTIONS"));
    }
  }

  /** The room and its messages, written straight into the database as its owner. */
  private static void fill(
      DatabaseSettings database, UUID organisation, String admin, UUID room, int messages)
      throws Exception {
    try (Connection c =
            DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
        Statement s = c.createStatement()) {
      UUID user;
      try (ResultSet rows =
          s.executeQuery("SELECT id FROM users WHERE email = '" + admin.replace("'", "") + "'")) {
        rows.next();
        user = UUID.fromString(rows.getString(1));
      }
      s.execute(
          "INSERT INTO rooms (id, kind, title, created_by_org, created_by_user, created_at)"
              + " VALUES ('%s', 'general', 'Export benchmark', '%s', '%s', now())"
                  .formatted(room, organisation, user));
      s.execute(
          "INSERT INTO room_members (room_id, organisation_id, joined_at) VALUES ('%s', '%s', now())"
              .formatted(room, organisation));
      s.execute(
          ("INSERT INTO messages (room_id, seq, id, sender_user_id, sender_org_id, kind, content,"
                  + " sent_at) SELECT '%s', g, gen_random_uuid(), '%s', '%s', 'text',"
                  + " 'Nachricht ' || g || ': Blutdruck 140/90, Puls 72, bitte morgen erneut"
                  + " messen und im Verlauf dokumentieren.', now() - (%d - g) * interval '1 second'"
                  + " FROM generate_series(1, %d) g")
              .formatted(room, user, organisation, messages, messages));
      s.execute(
          "UPDATE rooms SET last_seq = %d, last_message_at = now() WHERE id = '%s'"
              .formatted(messages, room));
    }
  }
}
