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
import org.konsil.db.Migrations;

/**
 * One real embedded PostgreSQL for the whole test run. A template database is migrated once; each
 * test class gets a fresh copy of it, so classes never see each other's rows.
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
        Runtime.getRuntime().addShutdownHook(new Thread(embedded::close));
        execute(embedded.settings(), "CREATE DATABASE " + TEMPLATE);
        Migrations.migrate(embedded.settings().withDatabase(TEMPLATE));
      } catch (Exception e) {
        throw new IllegalStateException("could not start the test database", e);
      }
    }
    return embedded.settings();
  }

  /** A new, migrated, empty database. */
  public static DatabaseSettings fresh() {
    DatabaseSettings server = server();
    String name = "konsil_test_" + COUNTER.incrementAndGet();
    execute(server, "CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE);
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

  public static String url(DatabaseSettings s) {
    return "postgresql://" + s.user() + "@" + s.host() + ":" + s.port() + "/" + s.database();
  }
}
