package org.konsil.db;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** Brings a database to the newest schema with the versioned SQL scripts under db/migration. */
public final class Migrations {

  private Migrations() {}

  /** Blocking: run it off the event loop. Returns the number of scripts applied. */
  public static int migrate(DatabaseSettings settings) {
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(settings.jdbcUrl(), settings.user(), settings.password())
            .locations("classpath:db/migration")
            .failOnMissingLocations(true)
            .load();
    MigrateResult result = flyway.migrate();
    return result.migrationsExecuted;
  }
}
