package org.konsil.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL that Konsil starts by itself when no external database is configured. It lives in
 * one private folder (by default {@code ./data/postgres}, 0700): the cluster in {@code pgdata/},
 * the generated passwords in {@code credentials} (0600), its log, and the lock a running Konsil
 * holds. It is durable ({@code fsync}, {@code synchronous_commit} and {@code full_page_writes} on,
 * given on the command line so that no configuration file can turn them off), listens on 127.0.0.1
 * only with scram-sha-256 passwords, and has no Unix socket. A PostgreSQL left running on this
 * folder by a Konsil that was killed is found and stopped cleanly at the next start.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  public static final String SUPERUSER = "postgres";
  public static final String OWNER_ROLE = "konsil_owner";
  public static final String APP_ROLE = "konsil_app";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final String LOCK_FILE = "konsil.lock";
  private static final String PG_HBA = "host all all 127.0.0.1/32 scram-sha-256\n";

  private final Path folder;
  private final PostgresBinaries binaries;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final EmbeddedCredentials credentials;
  private final int port;
  private boolean closed;

  private EmbeddedDatabase(
      Path folder,
      PostgresBinaries binaries,
      FileChannel lockChannel,
      FileLock lock,
      EmbeddedCredentials credentials,
      int port) {
    this.folder = folder;
    this.binaries = binaries;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.credentials = credentials;
    this.port = port;
  }

  /**
   * Starts PostgreSQL in the given folder, creating the cluster and its roles the first time. A
   * port of 0 picks a free one. Blocking.
   *
   * @throws IllegalStateException when another running Konsil uses that folder
   */
  public static EmbeddedDatabase start(Path folder, int port) {
    FileChannel lockChannel = null;
    try {
      folder = folder.toAbsolutePath().normalize();
      Files.createDirectories(
          folder,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
      lockChannel = openLock(folder);
      FileLock lock = tryLock(lockChannel);
      if (lock == null) {
        throw new IllegalStateException(
            "another Konsil process uses the embedded database in "
                + folder
                + "; stop it first or point KONSIL_DATABASE_URL at it");
      }
      moveOldLayout(folder);
      PostgresBinaries binaries = PostgresBinaries.prepare();
      Path pgdata = folder.resolve("pgdata");
      stopOrphan(binaries, pgdata);
      EmbeddedCredentials credentials;
      if (!Files.exists(pgdata.resolve("PG_VERSION"))) {
        credentials = EmbeddedCredentials.create(folder, "konsil");
        initdb(binaries, folder, pgdata, credentials);
      } else if (!EmbeddedCredentials.exist(folder)) {
        // a cluster from before passwords (or whose credentials were lost): new ones, set offline
        credentials = EmbeddedCredentials.create(folder, "postgres");
        setSuperuserPasswordOffline(binaries, pgdata, credentials);
      } else {
        credentials = EmbeddedCredentials.read(folder);
      }
      Files.writeString(pgdata.resolve("pg_hba.conf"), PG_HBA);
      int chosenPort = port > 0 ? port : freePort();
      run(
          binaries.command(
              "pg_ctl",
              List.of(
                  "-D",
                  pgdata.toString(),
                  "-l",
                  folder.resolve("postgres.log").toString(),
                  "-w",
                  "-t",
                  "120",
                  "-o",
                  String.join(" ", serverOptions(chosenPort)),
                  "start")),
          null,
          folder);
      EmbeddedDatabase database =
          new EmbeddedDatabase(folder, binaries, lockChannel, lock, credentials, chosenPort);
      try {
        database.createRoles();
      } catch (SQLException | RuntimeException e) {
        database.close();
        throw new IllegalStateException("could not set up the embedded database's roles", e);
      }
      return database;
    } catch (IOException e) {
      closeQuietly(lockChannel);
      throw new UncheckedIOException("could not start the embedded PostgreSQL in " + folder, e);
    } catch (RuntimeException e) {
      closeQuietly(lockChannel);
      throw e;
    }
  }

  /**
   * The roles of the embedded database that a running Konsil uses in that folder, for operator
   * commands run beside it; empty when no Konsil runs there.
   */
  public static Optional<DatabaseRoles> attachToRunning(Path folder) {
    folder = folder.toAbsolutePath().normalize();
    if (!Files.isDirectory(folder) || !EmbeddedCredentials.exist(folder)) {
      return Optional.empty();
    }
    try (FileChannel channel = openLock(folder)) {
      FileLock lock = tryLock(channel);
      if (lock != null) {
        lock.release();
        return Optional.empty();
      }
      Path pgdata = folder.resolve("pgdata");
      if (postmasterPid(pgdata).isEmpty()) {
        return Optional.empty();
      }
      List<String> lines = Files.readAllLines(pgdata.resolve("postmaster.pid"));
      int port = Integer.parseInt(lines.get(3).trim());
      EmbeddedCredentials credentials = EmbeddedCredentials.read(folder);
      return Optional.of(roles(credentials, port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The process id of the PostgreSQL running on this cluster folder, if one runs: the pid file
   * names a live process whose working directory is this folder (a postmaster works in its data
   * folder), so a reused pid of another program is never taken for it.
   */
  public static OptionalLong postmasterPid(Path pgdata) throws IOException {
    Path pidFile = pgdata.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return OptionalLong.empty();
    }
    List<String> lines = Files.readAllLines(pidFile);
    if (lines.isEmpty()) {
      return OptionalLong.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(lines.get(0).trim());
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      return OptionalLong.empty();
    }
    try {
      Path cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd"));
      return cwd.equals(pgdata.toRealPath()) ? OptionalLong.of(pid) : OptionalLong.empty();
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  public DatabaseSettings superuser() {
    return new DatabaseSettings(
        "127.0.0.1", port, credentials.database(), SUPERUSER, credentials.superuserPassword());
  }

  public DatabaseRoles roles() {
    return roles(credentials, port);
  }

  public int port() {
    return port;
  }

  /** The cluster's folder inside the data folder. */
  public Path pgdata() {
    return folder.resolve("pgdata");
  }

  /** Stops PostgreSQL cleanly (fast shutdown: sessions end, everything committed stays). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      run(
          binaries.command(
              "pg_ctl",
              List.of("-D", pgdata().toString(), "-m", "fast", "-w", "-t", "120", "stop")),
          null,
          folder);
    } catch (RuntimeException e) {
      LOG.error("could not stop the embedded PostgreSQL in {}: {}", folder, e.getMessage());
    } finally {
      try {
        lock.release();
      } catch (IOException e) {
        LOG.warn("could not release {}: {}", folder.resolve(LOCK_FILE), e.toString());
      }
      closeQuietly(lockChannel);
    }
  }

  private static DatabaseRoles roles(EmbeddedCredentials credentials, int port) {
    return new DatabaseRoles(
        new DatabaseSettings(
            "127.0.0.1", port, credentials.database(), OWNER_ROLE, credentials.ownerPassword()),
        new DatabaseSettings(
            "127.0.0.1", port, credentials.database(), APP_ROLE, credentials.appPassword()));
  }

  /**
   * Durability and access settings on the command line: they take precedence over the configuration
   * files, so ALTER SYSTEM cannot weaken them.
   */
  private static List<String> serverOptions(int port) {
    return List.of(
        "-p",
        Integer.toString(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=''",
        "-c",
        "fsync=on",
        "-c",
        "synchronous_commit=on",
        "-c",
        "full_page_writes=on",
        "-c",
        "password_encryption=scram-sha-256",
        "-c",
        "max_connections=200",
        "-c",
        "timezone=UTC");
  }

  /** The owner and application roles with their passwords, and Konsil's database. Idempotent. */
  private void createRoles() throws SQLException {
    DatabaseSettings admin = superuser().withDatabase("postgres");
    String database = credentials.database();
    try (Connection c = connect(admin);
        Statement s = c.createStatement()) {
      for (String role : List.of(OWNER_ROLE, APP_ROLE)) {
        s.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
                + role
                + "') THEN CREATE ROLE "
                + role
                + " LOGIN; END IF; END $$");
        s.execute(
            "ALTER ROLE "
                + role
                + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
      }
      PGConnection pg = c.unwrap(PGConnection.class);
      pg.alterUserPassword(OWNER_ROLE, credentials.ownerPassword().toCharArray(), "scram-sha-256");
      pg.alterUserPassword(APP_ROLE, credentials.appPassword().toCharArray(), "scram-sha-256");
      try (var rows =
          s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
        if (!rows.next()) {
          s.execute("CREATE DATABASE " + database + " OWNER " + OWNER_ROLE);
        }
      }
      s.execute("ALTER DATABASE " + database + " OWNER TO " + OWNER_ROLE);
      s.execute("REVOKE ALL ON DATABASE " + database + " FROM PUBLIC");
      s.execute("GRANT CONNECT, TEMPORARY ON DATABASE " + database + " TO " + APP_ROLE);
    }
    try (Connection c = connect(superuser());
        Statement s = c.createStatement()) {
      s.execute("ALTER SCHEMA public OWNER TO " + OWNER_ROLE);
      s.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
      // Objects made by a Konsil that migrated as the superuser move to the owner role.
      s.execute(
          """
          DO $$
          DECLARE r record;
          BEGIN
            FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                       AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = 'konsil_owner')
                       AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
            LOOP
              IF r.relkind = 'S' THEN
                EXECUTE format('ALTER SEQUENCE %s OWNER TO konsil_owner', r.name);
              ELSE
                EXECUTE format('ALTER TABLE %s OWNER TO konsil_owner', r.name);
              END IF;
            END LOOP;
            FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = 'public'
                       AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = 'konsil_owner')
            LOOP
              EXECUTE format('ALTER ROUTINE %s OWNER TO konsil_owner', r.name);
            END LOOP;
          END $$""");
    }
  }

  private static Connection connect(DatabaseSettings settings) throws SQLException {
    return DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password());
  }

  private static void initdb(
      PostgresBinaries binaries, Path folder, Path pgdata, EmbeddedCredentials credentials)
      throws IOException {
    Path passwordFile =
        Files.createTempFile(
            folder,
            "initdb",
            ".pw",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(passwordFile, credentials.superuserPassword() + "\n");
      run(
          binaries.command(
              "initdb",
              List.of(
                  "-D",
                  pgdata.toString(),
                  "-U",
                  SUPERUSER,
                  "--auth=scram-sha-256",
                  "--pwfile=" + passwordFile,
                  "-E",
                  "UTF-8",
                  "--no-locale")),
          null,
          folder);
    } finally {
      Files.deleteIfExists(passwordFile);
    }
  }

  /** Single-user mode reads the statement from standard input: no network, no password needed. */
  private static void setSuperuserPasswordOffline(
      PostgresBinaries binaries, Path pgdata, EmbeddedCredentials credentials) {
    LOG.warn("the embedded database in {} has no credentials yet; setting new passwords", pgdata);
    run(
        binaries.command("postgres", List.of("--single", "-D", pgdata.toString(), "postgres")),
        "ALTER ROLE " + SUPERUSER + " PASSWORD '" + credentials.superuserPassword() + "'\n",
        pgdata);
  }

  /**
   * A PostgreSQL still running on this cluster while nobody holds the lock was left behind by a
   * Konsil that was killed: stop it cleanly, so that the next start needs no hand of an operator.
   */
  private static void stopOrphan(PostgresBinaries binaries, Path pgdata) throws IOException {
    OptionalLong orphan = postmasterPid(pgdata);
    if (orphan.isEmpty()) {
      return;
    }
    LOG.warn(
        "found the embedded PostgreSQL of {} still running (pid {}) after Konsil ended without"
            + " stopping it; stopping it now",
        pgdata,
        orphan.getAsLong());
    // -w returns once the postmaster has removed its pid file, that is, has ended
    run(
        binaries.command(
            "pg_ctl", List.of("-D", pgdata.toString(), "-m", "fast", "-w", "-t", "120", "stop")),
        null,
        pgdata);
  }

  /** A cluster that an older Konsil kept directly in the folder moves into pgdata/. */
  private static void moveOldLayout(Path folder) throws IOException {
    if (!Files.exists(folder.resolve("PG_VERSION"))) {
      return;
    }
    Path pgdata = folder.resolve("pgdata");
    Files.createDirectory(
        pgdata, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    List<Path> entries;
    try (var list = Files.list(folder)) {
      entries = list.toList();
    }
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      if (!entry.equals(pgdata) && !name.equals(LOCK_FILE)) {
        Files.move(entry, pgdata.resolve(name));
      }
    }
    LOG.info("moved the embedded database's cluster into {}", pgdata);
  }

  private static FileChannel openLock(Path folder) throws IOException {
    Path file = folder.resolve(LOCK_FILE);
    if (!Files.exists(file)) {
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // made by a process starting at the same moment
      }
    }
    return FileChannel.open(file, StandardOpenOption.WRITE);
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by this very JVM
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Runs a program to its end; fails with its output when it fails. */
  private static String run(List<String> command, String input, Path workDir) {
    try {
      Process process =
          new ProcessBuilder(new ArrayList<>(command))
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .start();
      if (input != null) {
        process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
      }
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = process.waitFor();
      if (status != 0) {
        throw new IllegalStateException(
            command.get(command.size() - 1) + " failed (" + status + "): " + output.strip());
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing more to release
      }
    }
  }
}
