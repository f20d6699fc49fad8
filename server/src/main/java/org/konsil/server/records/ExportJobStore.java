package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** The rows of bulk export jobs, and the rooms an organisation's export covers. */
final class ExportJobStore {

  /** Rooms whose documentation the organisation holds: its patients' rooms, its general rooms. */
  private static final String OWN_ROOMS =
      """
      SELECT r.id FROM rooms r LEFT JOIN patients p ON p.id = r.patient_id
      WHERE (r.patient_id IS NULL AND r.created_by_org = #{org}) OR p.organisation_id = #{org}
      ORDER BY r.created_at, r.id""";

  /** A job no node has moved on for a while was left behind by a node that stopped. */
  private static final String FAIL_STALLED =
      """
      UPDATE record_exports SET status = 'failed', finished_at = #{now}
      WHERE organisation_id = #{org} AND status = 'running' AND updated_at < #{stalledBefore}""";

  private static final String INSERT =
      """
      INSERT INTO record_exports (id, organisation_id, requested_by, status, rooms_total,
        created_at, updated_at)
      VALUES (#{id}, #{org}, #{by}, 'running', #{total}, #{now}, #{now})
      ON CONFLICT DO NOTHING
      RETURNING *""";

  private static final String PROGRESS =
      """
      UPDATE record_exports SET rooms_done = #{done}, size_bytes = #{bytes}, updated_at = #{now}
      WHERE id = #{id}""";

  private static final String FINISH =
      """
      UPDATE record_exports SET status = #{status}, size_bytes = #{bytes}, updated_at = #{now},
        finished_at = #{now}
      WHERE id = #{id} RETURNING *""";

  private static final String BY_ID =
      "SELECT * FROM record_exports WHERE id = #{id} AND organisation_id = #{org}";

  private final SqlTemplate<Map<String, Object>, RowSet<Row>> ownRooms;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> failStalled;
  private final SqlTemplate<Map<String, Object>, RowSet<ExportJob>> insert;
  private final SqlTemplate<Map<String, Object>, SqlResult<Void>> progress;
  private final SqlTemplate<Map<String, Object>, RowSet<ExportJob>> finish;
  private final SqlTemplate<Map<String, Object>, RowSet<ExportJob>> byId;

  ExportJobStore(Pool pool) {
    this.ownRooms = SqlTemplate.forQuery(pool, OWN_ROOMS);
    this.failStalled = SqlTemplate.forUpdate(pool, FAIL_STALLED);
    this.insert = SqlTemplate.forQuery(pool, INSERT).mapTo(ExportJob.MAPPER);
    this.progress = SqlTemplate.forUpdate(pool, PROGRESS);
    this.finish = SqlTemplate.forQuery(pool, FINISH).mapTo(ExportJob.MAPPER);
    this.byId = SqlTemplate.forQuery(pool, BY_ID).mapTo(ExportJob.MAPPER);
  }

  Future<List<UUID>> ownRooms(UUID organisationId) {
    return ownRooms
        .execute(Map.of("org", organisationId))
        .map(rows -> Rows.list(rows).stream().map(row -> row.getUUID("id")).toList());
  }

  /** Starts a job, or answers null while another one of the organisation runs. */
  Future<ExportJob> start(
      UUID id, UUID organisationId, UUID by, int rooms, OffsetDateTime now, OffsetDateTime stale) {
    return failStalled
        .execute(Map.of("org", organisationId, "now", now, "stalledBefore", stale))
        .compose(
            failed -> {
              Map<String, Object> p = new HashMap<>();
              p.put("id", id);
              p.put("org", organisationId);
              p.put("by", by);
              p.put("total", rooms);
              p.put("now", now);
              return insert.execute(p).map(Rows::firstOrNull);
            });
  }

  Future<Void> progress(UUID id, int roomsDone, long bytes, OffsetDateTime now) {
    return progress
        .execute(Map.of("id", id, "done", roomsDone, "bytes", bytes, "now", now))
        .mapEmpty();
  }

  Future<ExportJob> finish(UUID id, boolean done, long bytes, OffsetDateTime now) {
    return finish
        .execute(Map.of("id", id, "status", done ? "done" : "failed", "bytes", bytes, "now", now))
        .map(Rows::firstOrNull);
  }

  /** The organisation's job with this id, or null (also for another organisation's job). */
  Future<ExportJob> byId(UUID id, UUID organisationId) {
    return byId.execute(Map.of("id", id, "org", organisationId)).map(Rows::firstOrNull);
  }
}
