package org.konsil.db;

import java.util.Optional;

/**
 * The two logins Konsil uses: the schema owner, which runs the migrations, and the application role
 * the server runs as, which may only read and write rows (and only append to the audit trail). With
 * one login for both, the server runs as the owner.
 */
public record DatabaseRoles(DatabaseSettings owner, DatabaseSettings application) {

  /** From KONSIL_DATABASE_URL and, if set, KONSIL_DATABASE_MIGRATION_URL. */
  public static DatabaseRoles fromUrls(String applicationUrl, Optional<String> migrationUrl) {
    DatabaseSettings application = DatabaseSettings.fromUrl(applicationUrl);
    DatabaseSettings owner = migrationUrl.map(DatabaseSettings::fromUrl).orElse(application);
    return new DatabaseRoles(owner, application);
  }

  /** Whether the server runs with the owner's rights (one login for both). */
  public boolean applicationIsOwner() {
    return owner.user().equals(application.user());
  }
}
