package org.konsil.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings a database to the newest schema with the versioned SQL scripts under db/migration, as the
 * schema owner, and gives the application role exactly the rights the server needs.
 */
public final class Migrations {

  /** Tables the application may only read and append to. */
  private static final String APPEND_ONLY_TABLE = "audit_events";

  private Migrations() {}

  /** Blocking: run it off the event loop. Returns the number of scripts applied. */
  public static int migrate(DatabaseSettings owner) {
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(owner.jdbcUrl(), owner.user(), owner.password())
            .locations("classpath:db/migration")
            .failOnMissingLocations(true)
            .load();
    MigrateResult result = flyway.migrate();
    return result.migrationsExecuted;
  }

  /**
   * Rows of every table to read and write, the audit trail to read and append to only (no UPDATE,
   * DELETE, TRUNCATE or trigger), the sequences, and nothing of the migration history. Run as the
   * owner after {@link #migrate}, on every start, so a new table is covered at once. Blocking.
   */
  public static void grantApplicationRole(DatabaseSettings owner, String applicationRole) {
    String role = quoteIdentifier(applicationRole);
    try (Connection c =
            DriverManager.getConnection(owner.jdbcUrl(), owner.user(), owner.password());
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("GRANT USAGE ON SCHEMA public TO " + role);
      s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role);
      s.execute("REVOKE ALL ON flyway_schema_history FROM " + role);
      s.execute("REVOKE ALL ON " + APPEND_ONLY_TABLE + " FROM " + role);
      s.execute("GRANT SELECT, INSERT ON " + APPEND_ONLY_TABLE + " TO " + role);
      s.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role);
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not grant the application role " + applicationRole + " its rights", e);
    }
  }

  static String quoteIdentifier(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
