package org.konsil.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The settings that decide whether a commit survives a crash, as the running server reports them to
 * the role Konsil runs as (a role or database can override {@code synchronous_commit}).
 */
public record DurabilitySettings(String fsync, String synchronousCommit, String fullPageWrites) {

  /** Reads them back from the database. Blocking. */
  public static DurabilitySettings read(DatabaseSettings settings) {
    try (Connection c =
            DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password());
        Statement s = c.createStatement()) {
      return new DurabilitySettings(
          show(s, "fsync"), show(s, "synchronous_commit"), show(s, "full_page_writes"));
    } catch (SQLException e) {
      throw new IllegalStateException("could not read the database's durability settings", e);
    }
  }

  private static String show(Statement s, String name) throws SQLException {
    try (ResultSet rows = s.executeQuery("SHOW " + name)) {
      rows.next();
      return rows.getString(1);
    }
  }

  /**
   * Whether an acknowledged commit survives a crash of the database and a power cut: fsync and
   * full_page_writes on, and the commit waits for its WAL to reach the local disk (every value of
   * synchronous_commit but off does).
   */
  public boolean durable() {
    return "on".equals(fsync) && "on".equals(fullPageWrites) && !"off".equals(synchronousCommit);
  }

  @Override
  public String toString() {
    return "fsync="
        + fsync
        + ", synchronous_commit="
        + synchronousCommit
        + ", full_page_writes="
        + fullPageWrites;
  }
}
