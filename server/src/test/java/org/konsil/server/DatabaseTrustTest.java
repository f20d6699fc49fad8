package org.konsil.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.konsil.db.DatabaseSettings;
import org.konsil.db.EmbeddedDatabase;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestDatabase;

/**
 * What the database lets whom do: a password for everyone, no socket for local users, an
 * application role that can only append to the audit trail, and no start on settings that lose
 * acknowledged messages.
 */
class DatabaseTrustTest {

  @Test
  void theEmbeddedDatabaseWantsAPasswordListensOnLoopbackOnlyAndHasNoSocket() throws Exception {
    EmbeddedDatabase embedded = TestDatabase.embedded();
    DatabaseSettings superuser = embedded.superuser();
    SQLException withoutPassword =
        assertThrows(
            SQLException.class,
            () -> DriverManager.getConnection(superuser.jdbcUrl(), superuser.user(), "").close());
    assertTrue(withoutPassword.getMessage().contains("SCRAM"), withoutPassword.getMessage());
    for (String role :
        new String[] {superuser.user(), EmbeddedDatabase.OWNER_ROLE, EmbeddedDatabase.APP_ROLE}) {
      SQLException guessed =
          assertThrows(
              SQLException.class,
              () -> DriverManager.getConnection(superuser.jdbcUrl(), role, "guessed").close());
      assertEquals("28P01", guessed.getSQLState(), guessed.getMessage());
    }
    Path folder = embedded.pgdata().getParent();
    String hba = Files.readString(embedded.pgdata().resolve("pg_hba.conf"));
    assertFalse(hba.contains("trust"), hba);
    assertEquals("host all all 127.0.0.1/32 scram-sha-256", hba.strip());
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(folder.resolve("credentials"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
    try (Connection c =
            DriverManager.getConnection(
                superuser.jdbcUrl(), superuser.user(), superuser.password());
        Statement s = c.createStatement()) {
      assertEquals("", show(s, "unix_socket_directories"));
      assertEquals("127.0.0.1", show(s, "listen_addresses"));
      assertEquals("on", show(s, "fsync"));
      assertEquals("on", show(s, "synchronous_commit"));
      assertEquals("on", show(s, "full_page_writes"));
      // ALTER SYSTEM writes a file that the command line outranks
      assertEquals("command line", source(s, "fsync"));
      assertEquals("command line", source(s, "synchronous_commit"));
    }
  }

  @Test
  void theApplicationRoleCanOnlyReadAndAppendToTheAuditTrail() throws Exception {
    DatabaseSettings database = TestDatabase.fresh();
    DatabaseSettings app = DatabaseSettings.fromUrl(TestDatabase.applicationUrl(database));
    try (Connection c = DriverManager.getConnection(app.jdbcUrl(), app.user(), app.password());
        Statement s = c.createStatement()) {
      s.executeQuery("SELECT count(*) FROM audit_events").close();
      s.executeQuery("SELECT count(*) FROM messages").close();
      for (String sql :
          new String[] {
            "UPDATE audit_events SET action = 'x'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_update ON audit_events",
            "SET session_replication_role = replica",
            "CREATE TABLE stolen (x int)",
            "SELECT * FROM flyway_schema_history",
            "ALTER ROLE " + EmbeddedDatabase.APP_ROLE + " SUPERUSER",
            "CREATE ROLE intruder LOGIN PASSWORD 'x'"
          }) {
        SQLException e = assertThrows(SQLException.class, () -> s.execute(sql), sql);
        assertEquals("42501", e.getSQLState(), sql + ": " + e.getMessage());
      }
    }
  }

  @Test
  void konsilRefusesADatabaseThatMayLoseAcknowledgedMessagesUnlessAllowedExplicitly()
      throws Exception {
    DatabaseSettings database = TestDatabase.fresh();
    TestDatabase.execute(
        database.withDatabase("postgres"),
        "ALTER DATABASE " + database.database() + " SET synchronous_commit = off");
    Map<String, String> env = twoRoles(database);
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () -> KonsilNode.start(KonsilConfig.from(env), Clock.systemUTC()).close());
    assertTrue(refused.getMessage().contains("synchronous_commit=off"), refused.getMessage());
    assertTrue(refused.getMessage().contains("KONSIL_ALLOW_UNSAFE_DURABILITY"));

    env.put("KONSIL_ALLOW_UNSAFE_DURABILITY", "true");
    try (KonsilNode node = KonsilNode.start(KonsilConfig.from(env), Clock.systemUTC())) {
      assertTrue(node.config().allowUnsafeDurability());
    }
  }

  @Test
  void konsilRefusesAnApplicationRoleThatCouldRewriteTheAuditTrail() throws Exception {
    DatabaseSettings database = TestDatabase.fresh();
    // a grant to everyone reaches the application role too
    TestDatabase.execute(database, "GRANT UPDATE, DELETE ON audit_events TO PUBLIC");
    Map<String, String> env = twoRoles(database);
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () -> KonsilNode.start(KonsilConfig.from(env), Clock.systemUTC()).close());
    assertTrue(
        refused.getMessage().contains("UPDATE on audit_events, DELETE on audit_events"),
        refused.getMessage());

    TestDatabase.execute(database, "REVOKE UPDATE, DELETE ON audit_events FROM PUBLIC");
    try (KonsilNode node = KonsilNode.start(KonsilConfig.from(env), Clock.systemUTC())) {
      assertEquals(EmbeddedDatabase.APP_ROLE, node.database().user());
    }
  }

  /** A node on the test database with its owner and application roles, on a free port. */
  private static Map<String, String> twoRoles(DatabaseSettings database) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("KONSIL_DATABASE_URL", TestDatabase.applicationUrl(database));
    env.put("KONSIL_DATABASE_MIGRATION_URL", TestDatabase.url(database));
    env.put("KONSIL_HTTP_PORT", "0");
    env.put("KONSIL_DATA_DIR", Scratch.folder("konsil-roles").toString());
    return env;
  }

  private static String show(Statement s, String name) throws SQLException {
    try (var rows = s.executeQuery("SHOW " + name)) {
      rows.next();
      return rows.getString(1);
    }
  }

  private static String source(Statement s, String name) throws SQLException {
    try (var rows = s.executeQuery("SELECT source FROM pg_settings WHERE name = '" + name + "'")) {
      rows.next();
      return rows.getString(1);
    }
  }
}
