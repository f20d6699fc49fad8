package org.konsil.server.devices;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for the users' recovery backups (one row per user). */
final class KeyBackupStore {

  private static final String UPSERT =
      """
      INSERT INTO key_backups (user_id, backup, updated_at) VALUES (#{user}, #{backup}, #{now})
      ON CONFLICT (user_id) DO UPDATE SET backup = EXCLUDED.backup, updated_at = EXCLUDED.updated_at
      """;

  private static final String SELECT =
      "SELECT backup, updated_at FROM key_backups WHERE user_id = #{user}";

  private static final String DELETE =
      "DELETE FROM key_backups WHERE user_id = #{user} RETURNING length(backup) AS size";

  /** A stored backup. */
  record Stored(byte[] backup, OffsetDateTime updatedAt) {}

  Future<Void> put(SqlClient tx, UUID user, byte[] backup, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, UPSERT)
        .execute(Map.of("user", user, "backup", Buffer.buffer(backup), "now", now))
        .mapEmpty();
  }

  Future<Stored> get(SqlClient client, UUID user) {
    return SqlTemplate.forQuery(client, SELECT)
        .execute(Map.of("user", user))
        .map(Rows::firstOrNull)
        .map(KeyBackupStore::stored);
  }

  /** Deletes the user's backup; answers its size, or null when there was none. */
  Future<Integer> delete(SqlClient tx, UUID user) {
    return SqlTemplate.forQuery(tx, DELETE)
        .execute(Map.of("user", user))
        .map(Rows::firstOrNull)
        .map(row -> row == null ? null : row.getInteger("size"));
  }

  private static Stored stored(Row row) {
    return row == null
        ? null
        : new Stored(row.getBuffer("backup").getBytes(), row.getOffsetDateTime("updated_at"));
  }
}
