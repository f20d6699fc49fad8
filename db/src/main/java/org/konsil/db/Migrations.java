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
   * DELETE, TRUNCATE or trigger), no deleting of devices and prekey fetch counts, the sequences,
   * and nothing of the migration history. Run as the owner after {@link #migrate}, on every start,
   * so a new table is covered at once. Blocking.
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
      // the key directory: a removed device keeps its row, fetch counts are reset in place
      s.execute("REVOKE DELETE ON devices, prekey_fetch_windows FROM " + role);
      s.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role);
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not grant the application role " + applicationRole + " its rights", e);
    }
  }

  /**
   * The rights the application role has beyond what the server needs, as the database reports them
   * to that role itself (memberships and grants to PUBLIC count): empty when it is as narrow as it
   * should be. Blocking.
   */
  public static java.util.List<String> excessRights(
      DatabaseSettings application, String ownerRole) {
    java.util.List<String> excess = new java.util.ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(
                application.jdbcUrl(), application.user(), application.password());
        Statement s = c.createStatement();
        var rows =
            s.executeQuery(
                "SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,"
                    + " r.rolreplication,"
                    + " pg_has_role(current_user, "
                    + quoteLiteral(ownerRole)
                    + ", 'MEMBER') AND current_user <> "
                    + quoteLiteral(ownerRole)
                    + ","
                    + " has_table_privilege('"
                    + APPEND_ONLY_TABLE
                    + "', 'UPDATE'),"
                    + " has_table_privilege('"
                    + APPEND_ONLY_TABLE
                    + "', 'DELETE'),"
                    + " has_table_privilege('"
                    + APPEND_ONLY_TABLE
                    + "', 'TRUNCATE'),"
                    + " has_table_privilege('"
                    + APPEND_ONLY_TABLE
                    + "', 'TRIGGER'),"
                    + " has_schema_privilege('public', 'CREATE')"
                    + " FROM pg_roles r WHERE r.rolname = current_user")) {
      rows.next();
      String[] names = {
        "superuser",
        "bypasses row security",
        "creates roles",
        "creates databases",
        "replication",
        "member of " + ownerRole,
        "UPDATE on " + APPEND_ONLY_TABLE,
        "DELETE on " + APPEND_ONLY_TABLE,
        "TRUNCATE on " + APPEND_ONLY_TABLE,
        "TRIGGER on " + APPEND_ONLY_TABLE,
        "CREATE in schema public"
      };
      for (int i = 0; i < names.length; i++) {
        if (rows.getBoolean(i + 1)) {
          excess.add(names[i]);
        }
      }
      return excess;
    } catch (SQLException e) {
      throw new IllegalStateException("could not read the application role's rights", e);
    }
  }

  private static String quoteLiteral(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  static String quoteIdentifier(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
