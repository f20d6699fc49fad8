package org.konsil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.konsil.db.DatabaseSettings;
import org.konsil.db.Folders;

/**
 * PostgreSQL's own rate for the message write, measured with pgbench on the same database: per
 * message one statement that moves a room's sequence and inserts the 64-byte message, committed on
 * its own (synchronous commit, as Konsil's). The best a message write can do on this machine.
 */
final class PgCeiling {

  private PgCeiling() {}

  static Optional<Path> pgbench() {
    for (String candidate :
        List.of(
            "/usr/bin/pgbench",
            "/usr/lib/postgresql/18/bin/pgbench",
            "/usr/lib/postgresql/15/bin/pgbench")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Optional.of(Path.of(candidate));
      }
    }
    return Optional.empty();
  }

  /** Maps rooms 1..n for the script; the rooms are ordinary Konsil rooms made for the ceiling. */
  static void prepare(DatabaseSettings db, List<String> rooms, UUID user, UUID org)
      throws SQLException {
    try (Connection c = connect(db)) {
      c.createStatement()
          .execute(
              "CREATE TABLE IF NOT EXISTS bench_ceiling_rooms (n int PRIMARY KEY, room_id uuid,"
                  + " sender uuid, org uuid)");
      c.createStatement().execute("TRUNCATE bench_ceiling_rooms");
      try (PreparedStatement insert =
          c.prepareStatement("INSERT INTO bench_ceiling_rooms VALUES (?, ?, ?, ?)")) {
        for (int i = 0; i < rooms.size(); i++) {
          insert.setInt(1, i + 1);
          insert.setObject(2, UUID.fromString(rooms.get(i)));
          insert.setObject(3, user);
          insert.setObject(4, org);
          insert.addBatch();
        }
        insert.executeBatch();
      }
    }
  }

  static UUID userId(DatabaseSettings db, String email) throws SQLException {
    try (Connection c = connect(db);
        PreparedStatement query = c.prepareStatement("SELECT id FROM users WHERE email = ?")) {
      query.setString(1, email);
      var rows = query.executeQuery();
      rows.next();
      return rows.getObject(1, UUID.class);
    }
  }

  /** Transactions (= messages) per second with the given clients, for the given seconds. */
  static double run(Path pgbench, DatabaseSettings db, int rooms, int clients, int seconds)
      throws IOException, InterruptedException {
    String output = pgbench(pgbench, db, rooms, clients, seconds, List.of(), null);
    Matcher tps = Pattern.compile("tps = ([0-9.]+)").matcher(output);
    if (!tps.find()) {
      throw new IllegalStateException("pgbench answered:\n" + output);
    }
    return Double.parseDouble(tps.group(1));
  }

  /** Median and 99th percentile of a message write's time, in milliseconds. */
  record Latency(double p50, double p99, long count) {}

  /**
   * The same write at a fixed rate (an open loop): each transaction's time from when it was due to
   * its commit, as pgbench logs it with {@code --rate} (so a transaction that waited for a busy
   * client counts its wait). The database's own latency at the benchmark's open-loop rate.
   */
  static Latency atRate(
      Path pgbench, DatabaseSettings db, int rooms, int clients, int seconds, int rate)
      throws IOException, InterruptedException {
    Path logs = Files.createTempDirectory("konsil-ceiling-log");
    try {
      String output =
          pgbench(
              pgbench,
              db,
              rooms,
              clients,
              seconds,
              List.of("--rate", Integer.toString(rate), "-l", "--log-prefix", "tx"),
              logs);
      List<Long> micros = new ArrayList<>();
      try (Stream<Path> files = Files.list(logs)) {
        for (Path file : files.toList()) {
          for (String line : Files.readAllLines(file)) {
            // client transaction time script epoch us [lag]: time is the third field
            String[] fields = line.trim().split(" ");
            if (fields.length >= 3 && !fields[2].equals("skipped")) {
              micros.add(Long.parseLong(fields[2]));
            }
          }
        }
      }
      if (micros.isEmpty()) {
        throw new IllegalStateException("pgbench logged no transaction:\n" + output);
      }
      Collections.sort(micros);
      return new Latency(
          percentile(micros, 50) / 1000.0, percentile(micros, 99) / 1000.0, micros.size());
    } finally {
      Folders.deleteQuietly(logs);
    }
  }

  private static long percentile(List<Long> sorted, double percent) {
    int index = (int) Math.ceil(percent / 100 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static String pgbench(
      Path pgbench,
      DatabaseSettings db,
      int rooms,
      int clients,
      int seconds,
      List<String> extra,
      Path workingFolder)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("konsil-ceiling", ".sql");
    try {
      Files.writeString(
          script,
          String.join(
              "\n",
              "\\set n random(1, " + rooms + ")",
              "WITH b AS (SELECT room_id, sender, org FROM bench_ceiling_rooms WHERE n = :n),"
                  + " r AS (UPDATE rooms SET last_seq = last_seq + 1, last_message_at = now()"
                  + " WHERE id = (SELECT room_id FROM b) RETURNING id, last_seq)"
                  + " INSERT INTO messages (room_id, seq, id, sender_user_id, sender_org_id,"
                  + " client_msg_id, kind, content, sent_at)"
                  + " SELECT r.id, r.last_seq, gen_random_uuid(), b.sender, b.org,"
                  + " gen_random_uuid(), 'text', '"
                  + "x".repeat(64)
                  + "', now() FROM r, b;",
              ""));
      List<String> command =
          new ArrayList<>(
              List.of(
                  pgbench.toString(),
                  "-n",
                  "-M",
                  "prepared",
                  "-c",
                  Integer.toString(clients),
                  "-j",
                  "2",
                  "-T",
                  Integer.toString(seconds),
                  "-f",
                  script.toString()));
      command.addAll(extra);
      command.addAll(
          List.of(
              "-h", db.host(), "-p", Integer.toString(db.port()), "-U", db.user(), db.database()));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      if (workingFolder != null) {
        builder.directory(workingFolder.toFile());
      }
      if (!db.password().isEmpty()) {
        builder.environment().put("PGPASSWORD", db.password());
      }
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes());
      process.waitFor();
      return output;
    } finally {
      Files.deleteIfExists(script);
    }
  }

  private static Connection connect(DatabaseSettings db) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://" + db.host() + ":" + db.port() + "/" + db.database(),
        db.user(),
        db.password());
  }
}
