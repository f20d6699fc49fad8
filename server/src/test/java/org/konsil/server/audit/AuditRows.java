package org.konsil.server.audit;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.db.DatabaseSettings;

/**
 * Writes audit rows behind the server's back, as someone with the database's superuser but without
 * the audit key could: unkeyed rows as an older Konsil wrote them, and a whole chain sealed again.
 */
final class AuditRows {

  private AuditRows() {}

  /** The non-blank lines of an anchor file. */
  static List<String> anchorLines(Path file) throws IOException {
    return Files.readAllLines(file).stream().filter(line -> !line.isBlank()).toList();
  }

  /** Appends unkeyed rows (plain SHA-256, scheme 1) as Konsil wrote them before the audit key. */
  static void appendLegacy(DatabaseSettings database, OffsetDateTime at, List<String> actions)
      throws SQLException {
    try (Connection connection = connect(database)) {
      byte[] previous = null;
      try (Statement statement = connection.createStatement();
          ResultSet head =
              statement.executeQuery("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")) {
        if (head.next()) {
          previous = head.getBytes(1);
        }
      }
      try (PreparedStatement insert =
          connection.prepareStatement(
              "INSERT INTO audit_events (occurred_at, actor_user_id, actor_org_id,"
                  + " organisation_id, action, outcome, object_type, object_id, details,"
                  + " prev_hash, hash, scheme) VALUES (?, ?, ?, ?, ?, 'success', NULL, NULL, ?,"
                  + " ?, ?, 1)")) {
        for (String action : actions) {
          UUID actor = UUID.randomUUID();
          UUID organisation = UUID.randomUUID();
          AuditEvent event =
              new AuditEvent(
                  actor, organisation, organisation, action, "success", null, null, null);
          String details = new JsonObject().encode();
          byte[] hash = AuditChain.legacyHash(previous, at, event, details);
          insert.setObject(1, at);
          insert.setObject(2, actor);
          insert.setObject(3, organisation);
          insert.setObject(4, organisation);
          insert.setString(5, action);
          insert.setString(6, details);
          insert.setBytes(7, previous);
          insert.setBytes(8, hash);
          insert.executeUpdate();
          previous = hash;
        }
      }
    }
  }

  /**
   * Seals the rows from {@code fromId} to {@code toId} again, each with the previous row's new
   * seal: with the key given for keyed rows, with plain SHA-256 for unkeyed ones (which needs no
   * key).
   */
  static void reseal(DatabaseSettings database, long fromId, long toId, byte[] key)
      throws SQLException {
    AuditChain chain = new AuditChain(key);
    try (Connection connection = connect(database)) {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        statement.execute("ALTER TABLE audit_events DISABLE TRIGGER USER");
      }
      byte[] previous = null;
      try (PreparedStatement select =
              connection.prepareStatement("SELECT * FROM audit_events ORDER BY id");
          ResultSet rows = select.executeQuery();
          PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?")) {
        while (rows.next()) {
          long id = rows.getLong("id");
          if (id > toId) {
            break;
          }
          if (id < fromId) {
            previous = rows.getBytes("hash");
            continue;
          }
          AuditEvent event =
              new AuditEvent(
                  rows.getObject("actor_user_id", UUID.class),
                  rows.getObject("actor_org_id", UUID.class),
                  rows.getObject("organisation_id", UUID.class),
                  rows.getString("action"),
                  rows.getString("outcome"),
                  rows.getString("object_type"),
                  rows.getObject("object_id", UUID.class),
                  null);
          OffsetDateTime at = rows.getObject("occurred_at", OffsetDateTime.class);
          String details = rows.getString("details");
          byte[] hash =
              rows.getInt("scheme") == AuditChain.KEYED
                  ? chain.mac(id, previous, at, event, details)
                  : AuditChain.legacyHash(previous, at, event, details);
          update.setBytes(1, previous);
          update.setBytes(2, hash);
          update.setLong(3, id);
          update.executeUpdate();
          previous = hash;
        }
      }
      try (Statement statement = connection.createStatement()) {
        statement.execute("ALTER TABLE audit_events ENABLE TRIGGER USER");
      }
      connection.commit();
    }
  }

  /** Seals the whole chain again with another key. */
  static void resealWith(DatabaseSettings database, byte[] key) throws SQLException {
    reseal(database, Long.MIN_VALUE, Long.MAX_VALUE, key);
  }

  private static Connection connect(DatabaseSettings database) throws SQLException {
    return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
  }
}
