package org.konsil.server.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.konsil.db.DatabaseSettings;
import org.konsil.db.EmbeddedDatabase;
import org.konsil.db.Folders;
import org.konsil.db.Migrations;

/**
 * One real embedded PostgreSQL for the whole test run, started as Konsil starts its own (durable,
 * passwords, owner and application roles). A template database is migrated once by the owner role;
 * each test class gets a fresh copy of it, so classes never see each other's rows. Tests read and
 * tamper with rows as the superuser; the server under test runs as the application role.
 */
public final class TestDatabase {

  private static final String TEMPLATE = "konsil_template";
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedDatabase embedded;

  private TestDatabase() {}

  public static synchronized DatabaseSettings server() {
    if (embedded == null) {
      try {
        Path dir = Files.createTempDirectory("konsil-test-pg");
        embedded = EmbeddedDatabase.start(dir, 0);
        EmbeddedDatabase started = embedded;
        // the database's folder (about 1 GiB after a run) goes with it
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      started.close();
                      Folders.deleteQuietly(dir);
                    }));
        execute(
            embedded.superuser().withDatabase("postgres"),
            "CREATE DATABASE " + TEMPLATE + " OWNER " + EmbeddedDatabase.OWNER_ROLE);
        DatabaseSettings owner = embedded.roles().owner().withDatabase(TEMPLATE);
        Migrations.migrate(owner);
        Migrations.grantApplicationRole(owner, EmbeddedDatabase.APP_ROLE);
      } catch (Exception e) {
        throw new IllegalStateException("could not start the test database", e);
      }
    }
    return embedded.superuser();
  }

  /** A new, migrated, empty database. */
  public static DatabaseSettings fresh() {
    DatabaseSettings server = server();
    String name = "konsil_test_" + COUNTER.incrementAndGet();
    execute(
        server.withDatabase("postgres"),
        "CREATE DATABASE "
            + name
            + " TEMPLATE "
            + TEMPLATE
            + " OWNER "
            + EmbeddedDatabase.OWNER_ROLE);
    return server.withDatabase(name);
  }

  public static void execute(DatabaseSettings settings, String sql) {
    try (Connection connection =
            DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password());
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static long count(DatabaseSettings settings, String sql) {
    try (Connection connection =
            DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password());
        Statement statement = connection.createStatement();
        var rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The schema owner's URL of a test database (a server given only this one runs as owner). */
  public static String url(DatabaseSettings database) {
    return format(embedded.roles().owner().withDatabase(database.database()));
  }

  /** The application role's URL of a test database, for KONSIL_DATABASE_URL. */
  public static String applicationUrl(DatabaseSettings database) {
    return format(embedded.roles().application().withDatabase(database.database()));
  }

  /** The embedded PostgreSQL all test databases live in. */
  public static EmbeddedDatabase embedded() {
    server();
    return embedded;
  }

  /** The database's superuser, for tests that look behind the server's back. */
  public static DatabaseSettings superuser(DatabaseSettings database) {
    return embedded.superuser().withDatabase(database.database());
  }

  private static String format(DatabaseSettings s) {
    return "postgresql://"
        + s.user()
        + ":"
        + s.password()
        + "@"
        + s.host()
        + ":"
        + s.port()
        + "/"
        + s.database();
  }
}
