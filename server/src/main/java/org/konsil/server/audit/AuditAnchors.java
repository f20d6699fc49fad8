package org.konsil.server.audit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.konsil.server.config.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Anchors the head of the audit chain outside the database: every interval and at shutdown, when
 * the newest event changed, one line with its id, its hash, the time, the first keyed event and the
 * number of events is appended to the anchor file and logged. Cutting off the newest events, or
 * re-sealing the chain (also as if it had never been keyed), then no longer matches what was
 * anchored.
 */
public final class AuditAnchors {

  private static final Logger LOG = LoggerFactory.getLogger(AuditAnchors.class);

  private static final String HEAD = "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1";

  /**
   * Rows commit in id order, so the events up to the head are the ones before it; after a pruning
   * the newest checkpoint counts those it removed (rows it names that are still there, because the
   * removal has not run yet, are not counted twice).
   */
  private static final String COUNT_UP_TO =
      """
      WITH checkpoint AS (%s)
      SELECT coalesce((SELECT (details::jsonb ->> 'count')::bigint FROM checkpoint), 0)
        + (SELECT count(*) FROM audit_events WHERE id <= $1
             AND id > coalesce((SELECT (details::jsonb ->> 'throughId')::bigint FROM checkpoint), 0))
        AS events"""
          .formatted(AuditCheckpoint.NEWEST);

  /** Where the keyed chain starts, also when a pruning removed that event. */
  private static final String FIRST_KEYED =
      """
      WITH checkpoint AS (%s)
      SELECT coalesce((SELECT (details::jsonb ->> 'keyedFrom')::bigint FROM checkpoint),
        (SELECT min(id) FROM audit_events WHERE scheme = %d)) AS keyed"""
          .formatted(AuditCheckpoint.NEWEST, AuditChain.KEYED);

  /**
   * One line of the anchor file: the chain had {@code count} events ending with this one, and was
   * keyed from event {@code keyedFrom} on ({@link #NOT_KEYED} when it had no keyed event yet,
   * {@link #NOT_RECORDED} on lines written before this was recorded).
   */
  public record Anchor(
      int line, Instant at, long eventId, byte[] hash, long keyedFrom, long count) {

    public static final long NOT_KEYED = 0;
    public static final long NOT_RECORDED = -1;

    String format() {
      return at
          + " event="
          + eventId
          + " hash="
          + HexFormat.of().formatHex(hash)
          + " keyed-from="
          + (keyedFrom == NOT_KEYED ? "none" : Long.toString(keyedFrom))
          + " count="
          + count;
    }

    boolean sameHead(long id, byte[] headHash) {
      return eventId == id && Arrays.equals(hash, headHash);
    }
  }

  /** The anchors in a file, and the numbers of the lines that are not anchors. */
  public record AnchorFile(boolean found, List<Anchor> anchors, List<Integer> unreadableLines) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final Path file;
  private final Duration interval;
  private long timer = -1;
  private Future<Void> running = Future.succeededFuture();
  private volatile Anchor lastWritten;

  /** The first keyed event once there is one; it never changes after that. */
  private volatile long keyedFrom = Anchor.NOT_KEYED;

  public AuditAnchors(Vertx vertx, Pool pool, Clock clock, Path file, Duration interval) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.file = file;
    this.interval = interval;
  }

  public void start() {
    timer = vertx.setPeriodic(interval.toMillis(), tick -> anchor());
  }

  /** Stops the timer and anchors the head one last time. */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    return anchor();
  }

  /**
   * Appends the head of the chain to the anchor file if it changed since the last anchor; one at a
   * time. A failure is logged, not passed on: the next anchor tries again.
   */
  public synchronized Future<Void> anchor() {
    running =
        running.transform(
            previous ->
                anchorOnce()
                    .recover(
                        e -> {
                          LOG.error(
                              "could not anchor the audit chain in {}: {}", file, e.toString());
                          return Future.succeededFuture();
                        }));
    return running;
  }

  private Future<Void> anchorOnce() {
    return pool.query(HEAD)
        .execute()
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture();
              }
              Row head = rows.iterator().next();
              long id = head.getLong("id");
              byte[] hash = head.getBuffer("hash").getBytes();
              return vertx
                  .executeBlocking(
                      () -> {
                        if (lastWritten == null) {
                          lastWritten = lastIn(file).orElse(null);
                        }
                        return lastWritten == null || !lastWritten.sameHead(id, hash);
                      },
                      false)
                  .compose(changed -> changed ? write(id, hash) : Future.succeededFuture());
            });
  }

  /**
   * Counts the events up to the head (rows commit in id order), finds where the keyed chain starts
   * and appends the anchor.
   */
  private Future<Void> write(long id, byte[] hash) {
    return keyedFrom()
        .compose(
            keyed ->
                pool.preparedQuery(COUNT_UP_TO)
                    .execute(Tuple.of(id))
                    .map(counted -> counted.iterator().next().getLong("events"))
                    .map(
                        events ->
                            new Anchor(
                                0,
                                clock.instant(),
                                id,
                                hash,
                                keyed != Anchor.NOT_KEYED && keyed <= id ? keyed : Anchor.NOT_KEYED,
                                events)))
        .compose(
            anchor -> {
              return vertx.executeBlocking(
                  () -> {
                    append(file, anchor.format());
                    lastWritten = anchor;
                    LOG.info("audit anchor {}", anchor.format());
                    return null;
                  },
                  false);
            });
  }

  private Future<Long> keyedFrom() {
    if (keyedFrom != Anchor.NOT_KEYED) {
      return Future.succeededFuture(keyedFrom);
    }
    return pool.query(FIRST_KEYED)
        .execute()
        .map(
            rows -> {
              Long first = rows.iterator().next().getLong("keyed");
              if (first != null) {
                keyedFrom = first;
              }
              return first == null ? Anchor.NOT_KEYED : first;
            });
  }

  /** Appends one line, making the file owner-only when it is new; synced before it answers. */
  private static void append(Path file, String line) throws IOException {
    SecretFiles.createOwnerOnly(file);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    }
  }

  /** The last readable anchor, read from the end of the file only. */
  private static Optional<Anchor> lastIn(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      int tail = (int) Math.min(length, 4096);
      byte[] bytes = new byte[tail];
      raf.seek(length - tail);
      raf.readFully(bytes);
      String[] lines = new String(bytes, StandardCharsets.US_ASCII).split("\n");
      for (int i = lines.length - 1; i >= 0; i--) {
        Optional<Anchor> anchor = parse(0, lines[i]);
        if (anchor.isPresent()) {
          return anchor;
        }
      }
      return Optional.empty();
    }
  }

  /** Every line of an anchor file. Blocking. */
  static AnchorFile read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return new AnchorFile(false, List.of(), List.of());
    }
    List<Anchor> anchors = new ArrayList<>();
    List<Integer> unreadable = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      Optional<Anchor> anchor = parse(i + 1, lines.get(i));
      if (anchor.isPresent()) {
        anchors.add(anchor.get());
      } else {
        unreadable.add(i + 1);
      }
    }
    return new AnchorFile(true, anchors, unreadable);
  }

  /**
   * {@code <instant> event=<id> hash=<hex> keyed-from=<id|none> count=<n>}, or the same without
   * keyed-from as the first keyed version wrote it; nothing if the line is not that.
   */
  private static Optional<Anchor> parse(int number, String line) {
    String[] parts = line.trim().split(" ");
    boolean recorded = parts.length == 5;
    if ((parts.length != 4 && !recorded)
        || !parts[1].startsWith("event=")
        || !parts[2].startsWith("hash=")
        || (recorded && !parts[3].startsWith("keyed-from="))
        || !parts[parts.length - 1].startsWith("count=")) {
      return Optional.empty();
    }
    try {
      long keyed = Anchor.NOT_RECORDED;
      if (recorded) {
        String value = parts[3].substring("keyed-from=".length());
        keyed = value.equals("none") ? Anchor.NOT_KEYED : Long.parseLong(value);
        if (keyed < 1 && keyed != Anchor.NOT_KEYED) {
          return Optional.empty();
        }
      }
      return Optional.of(
          new Anchor(
              number,
              Instant.parse(parts[0]),
              Long.parseLong(parts[1].substring("event=".length())),
              HexFormat.of().parseHex(parts[2].substring("hash=".length())),
              keyed,
              Long.parseLong(parts[parts.length - 1].substring("count=".length()))));
    } catch (DateTimeParseException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
