package org.konsil.bench;

import java.nio.file.Path;
import java.util.Optional;

/** The command line of the benchmark. */
record BenchOptions(
    Preset preset,
    int rooms,
    int members,
    int runs,
    int seconds,
    int openRate,
    int senders,
    int nodes,
    int idle,
    boolean ceilings,
    Optional<String> url,
    Optional<String> databaseUrl,
    Path serverJar,
    Path out) {

  static final String USAGE =
      String.join(
          "\n",
          "java -jar bench/target/konsil-bench.jar [options]",
          "  --preset small|medium|large   workload (default small)",
          "  --rooms N, --members N        change the preset's rooms and members per room",
          "  --runs N                      runs per figure, the report shows medians (default 3)",
          "  --seconds N                   measured seconds per load phase (default 15)",
          "  --rate N                      open loop: messages per second in all (default 1000)",
          "  --senders N                   closed loop: N members, spread over the rooms, send;",
          "                                the others only receive (default: all members)",
          "  --nodes 1|2                   Konsil nodes the benchmark starts (default 1)",
          "  --idle N                      idle connections (default: the preset's, capped by",
          "                                the open-file limit)",
          "  --no-ceilings                 skip the database-off and PostgreSQL ceilings",
          "  --url http://host:port        measure a running Konsil instead (needs",
          "                                --database-url for seeding)",
          "  --database-url postgresql://… the running Konsil's database",
          "  --server-jar PATH             Konsil's jar (default server/target/konsil.jar)",
          "  --out DIR                     where the JSON and Markdown reports go (default",
          "                                bench/results)");

  static BenchOptions parse(String[] args) {
    Preset preset = Preset.SMALL;
    int runs = 3;
    int seconds = 15;
    int rate = 1000;
    Integer senders = null;
    int nodes = 1;
    Integer idle = null;
    Integer rooms = null;
    Integer members = null;
    boolean ceilings = true;
    String url = null;
    String databaseUrl = null;
    Path jar = Path.of("server", "target", "konsil.jar");
    Path out = Path.of("bench", "results");
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--preset" -> preset = Preset.valueOf(value(args, ++i, arg).toUpperCase());
        case "--runs" -> runs = number(args, ++i, arg, 1, 20);
        case "--seconds" -> seconds = number(args, ++i, arg, 3, 600);
        case "--rate" -> rate = number(args, ++i, arg, 1, 1_000_000);
        case "--senders" -> senders = number(args, ++i, arg, 1, 1_000_000);
        case "--nodes" -> nodes = number(args, ++i, arg, 1, 2);
        case "--idle" -> idle = number(args, ++i, arg, 0, 100_000);
        case "--rooms" -> rooms = number(args, ++i, arg, 1, 10_000);
        case "--members" -> members = number(args, ++i, arg, 2, 100);
        case "--no-ceilings" -> ceilings = false;
        case "--url" -> url = value(args, ++i, arg);
        case "--database-url" -> databaseUrl = value(args, ++i, arg);
        case "--server-jar" -> jar = Path.of(value(args, ++i, arg));
        case "--out" -> out = Path.of(value(args, ++i, arg));
        case "--help", "-h" -> throw new IllegalArgumentException(USAGE);
        default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
      }
    }
    if (url != null && databaseUrl == null) {
      throw new IllegalArgumentException("--url needs --database-url (to create the users)");
    }
    if (url != null && !url.startsWith("http://127.") && !url.startsWith("http://localhost")) {
      throw new IllegalArgumentException("the benchmark sends traffic to loopback only");
    }
    int memberCount =
        (rooms == null ? preset.rooms : rooms) * (members == null ? preset.members : members);
    if (senders != null && senders > memberCount) {
      throw new IllegalArgumentException(
          "--senders must be at most the members of all rooms (" + memberCount + ")");
    }
    return new BenchOptions(
        preset,
        rooms == null ? preset.rooms : rooms,
        members == null ? preset.members : members,
        runs,
        seconds,
        rate,
        senders == null ? memberCount : senders,
        nodes,
        idle == null ? preset.idle : idle,
        ceilings && url == null,
        Optional.ofNullable(url),
        Optional.ofNullable(databaseUrl),
        jar,
        out);
  }

  private static String value(String[] args, int i, String name) {
    if (i >= args.length) {
      throw new IllegalArgumentException(name + " needs a value\n" + USAGE);
    }
    return args[i];
  }

  private static int number(String[] args, int i, String name, int min, int max) {
    int n = Integer.parseInt(value(args, i, name));
    if (n < min || n > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max);
    }
    return n;
  }
}
