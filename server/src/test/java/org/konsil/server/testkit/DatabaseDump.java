package org.konsil.server.testkit;

import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.konsil.db.DatabaseSettings;
import org.postgresql.PGConnection;

/**
 * The data of every table of a database as text, as {@code pg_dump --data-only} writes it (COPY
 * text format, table by table). The embedded PostgreSQL ships no pg_dump, and a system pg_dump of
 * an older major version refuses a newer server; COPY is what pg_dump itself uses for the rows.
 */
public final class DatabaseDump {

  private DatabaseDump() {}

  public static String of(DatabaseSettings database) {
    try (Connection c =
        DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password())) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rows =
          c.createStatement()
              .executeQuery(
                  "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                      + " AND table_type = 'BASE TABLE' ORDER BY table_name")) {
        while (rows.next()) {
          tables.add(rows.getString(1));
        }
      }
      StringWriter dump = new StringWriter();
      for (String table : tables) {
        dump.append("-- ").append(table).append('\n');
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyOut("COPY public.\"" + table + "\" TO STDOUT", dump);
      }
      if (tables.size() < 10) {
        throw new AssertionError("only " + tables.size() + " tables found: " + tables);
      }
      return dump.toString();
    } catch (Exception e) {
      throw new AssertionError("could not dump the database", e);
    }
  }
}
