package org.konsil.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The PostgreSQL that Konsil starts by itself when no external database is configured. Its data
 * lives in a folder (by default {@code ./data/postgres}), so a restart keeps everything.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private final EmbeddedPostgres postgres;
  private final DatabaseSettings settings;

  private EmbeddedDatabase(EmbeddedPostgres postgres, DatabaseSettings settings) {
    this.postgres = postgres;
    this.settings = settings;
  }

  /**
   * Starts PostgreSQL on the given data folder. A port of 0 picks a free one. Blocking.
   *
   * @throws IllegalStateException when another process already runs a PostgreSQL on that folder
   */
  public static EmbeddedDatabase start(Path dataDirectory, int port) {
    try {
      Files.createDirectories(dataDirectory);
      if (runningPort(dataDirectory) != null) {
        throw new IllegalStateException(
            "another Konsil process uses the embedded database in "
                + dataDirectory
                + "; stop it first or point KONSIL_DATABASE_URL at it");
      }
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDirectory)
              .setCleanDataDirectory(false)
              .setServerConfig("max_connections", "200")
              .setServerConfig("listen_addresses", "127.0.0.1");
      if (port > 0) {
        builder.setPort(port);
      }
      EmbeddedPostgres postgres = builder.start();
      DatabaseSettings settings =
          new DatabaseSettings("127.0.0.1", postgres.getPort(), "postgres", "postgres", "");
      return new EmbeddedDatabase(postgres, settings);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
    }
  }

  /**
   * The port of a PostgreSQL that is already running on this data folder (read from its pid file),
   * or null.
   */
  public static Integer runningPort(Path dataDirectory) throws IOException {
    Path pidFile = dataDirectory.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return null;
    }
    List<String> lines = Files.readAllLines(pidFile);
    if (lines.size() < 4) {
      return null;
    }
    long pid = Long.parseLong(lines.get(0).trim());
    boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    return alive ? Integer.valueOf(lines.get(3).trim()) : null;
  }

  public DatabaseSettings settings() {
    return settings;
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("could not stop the embedded PostgreSQL", e);
    }
  }
}
