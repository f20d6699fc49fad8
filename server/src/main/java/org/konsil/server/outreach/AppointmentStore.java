package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for appointments, their reminders and the organisation's reminder setting. */
final class AppointmentStore {

  private static final String INSERT =
      """
      INSERT INTO appointments (id, organisation_id, patient_id, starts_at, created_by, created_at)
      VALUES (#{id}, #{org}, #{patient}, #{starts}, #{by}, #{now})""";

  private static final String ONE =
      "SELECT * FROM appointments WHERE id = #{id} AND organisation_id = #{org}";

  private static final String OF_PATIENT =
      """
      SELECT * FROM appointments WHERE patient_id = #{patient} AND organisation_id = #{org}
      ORDER BY starts_at DESC, id LIMIT 500""";

  private static final String CANCEL =
      """
      UPDATE appointments SET cancelled_at = #{now}, cancelled_by = #{by}
      WHERE id = #{id} AND organisation_id = #{org} AND cancelled_at IS NULL""";

  private static final String SETTING =
      "SELECT * FROM appointment_reminder_settings WHERE organisation_id = #{org}";

  private static final String SET =
      """
      INSERT INTO appointment_reminder_settings (organisation_id, channel, template_id,
        days_before, updated_by, updated_at)
      VALUES (#{org}, #{channel}, #{template}, #{days}, #{by}, #{now})
      ON CONFLICT (organisation_id) DO UPDATE SET channel = excluded.channel,
        template_id = excluded.template_id, days_before = excluded.days_before,
        updated_by = excluded.updated_by, updated_at = excluded.updated_at""";

  private static final String UNSET =
      "DELETE FROM appointment_reminder_settings WHERE organisation_id = #{org}";

  /**
   * Uncancelled, unreminded appointments whose reminder is due (the given days before, counted in
   * the practice's local time) and that still lie ahead; locked, skipping rows another node holds.
   */
  private static final String DUE =
      """
      SELECT a.id, a.organisation_id, a.patient_id, a.starts_at, s.channel, s.template_id
      FROM appointments a JOIN appointment_reminder_settings s
        ON s.organisation_id = a.organisation_id
      WHERE a.reminded_at IS NULL AND a.cancelled_at IS NULL AND a.starts_at > #{now}
        AND ((a.starts_at AT TIME ZONE 'Europe/Berlin') - make_interval(days => s.days_before))
          AT TIME ZONE 'Europe/Berlin' <= #{now}
      ORDER BY a.starts_at
      LIMIT #{limit} FOR UPDATE OF a SKIP LOCKED""";

  /** The claim: only an appointment nobody reminded and nobody cancelled. */
  private static final String MARK =
      """
      UPDATE appointments SET reminded_at = #{now}, reminder_state = #{state},
        reminder_reason = #{reason}, reminder_channel = #{channel}, outbox_id = #{outbox}
      WHERE id = #{id} AND reminded_at IS NULL AND cancelled_at IS NULL""";

  /** A due appointment with its organisation's setting. */
  record Due(
      UUID id,
      UUID organisationId,
      UUID patientId,
      OffsetDateTime startsAt,
      String channel,
      UUID templateId) {}

  /** An organisation's reminder setting. */
  record Setting(String channel, UUID templateId, int daysBefore) {}

  Future<Void> insert(
      SqlClient tx,
      UUID id,
      UUID org,
      UUID patient,
      OffsetDateTime starts,
      UUID by,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("org", org);
    p.put("patient", patient);
    p.put("starts", starts);
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, INSERT).execute(p).mapEmpty();
  }

  Future<Appointment> one(SqlClient client, UUID org, UUID id) {
    return SqlTemplate.forQuery(client, ONE)
        .mapTo(Appointment.MAPPER)
        .execute(Map.of("org", org, "id", id))
        .map(Rows::firstOrNull);
  }

  Future<List<Appointment>> ofPatient(SqlClient client, UUID org, UUID patient) {
    return SqlTemplate.forQuery(client, OF_PATIENT)
        .mapTo(Appointment.MAPPER)
        .execute(Map.of("org", org, "patient", patient))
        .map(Rows::list);
  }

  Future<Boolean> cancel(SqlClient tx, UUID org, UUID id, UUID by, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, CANCEL)
        .execute(Map.of("org", org, "id", id, "by", by, "now", now))
        .map(r -> r.rowCount() == 1);
  }

  Future<Setting> setting(SqlClient client, UUID org) {
    return SqlTemplate.forQuery(client, SETTING)
        .execute(Map.of("org", org))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Row row = rows.iterator().next();
              return new Setting(
                  row.getString("channel"),
                  row.getUUID("template_id"),
                  row.getInteger("days_before"));
            });
  }

  Future<Void> set(SqlClient tx, UUID org, Setting s, UUID by, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("org", org);
    p.put("channel", s.channel());
    p.put("template", s.templateId());
    p.put("days", s.daysBefore());
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, SET).execute(p).mapEmpty();
  }

  Future<Void> unset(SqlClient tx, UUID org) {
    return SqlTemplate.forUpdate(tx, UNSET).execute(Map.of("org", org)).mapEmpty();
  }

  Future<List<Due>> due(SqlClient tx, OffsetDateTime now, int limit) {
    return SqlTemplate.forQuery(tx, DUE)
        .execute(Map.of("now", now, "limit", limit))
        .map(
            rows -> {
              List<Due> due = new ArrayList<>();
              for (Row row : rows) {
                due.add(
                    new Due(
                        row.getUUID("id"),
                        row.getUUID("organisation_id"),
                        row.getUUID("patient_id"),
                        row.getOffsetDateTime("starts_at"),
                        row.getString("channel"),
                        row.getUUID("template_id")));
              }
              return due;
            });
  }

  /** Marks the reminder; fails (rolling the round back) if someone else got there first. */
  Future<Void> mark(
      SqlClient tx,
      UUID id,
      String state,
      String reason,
      String channel,
      Long outbox,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("state", state);
    p.put("reason", reason);
    p.put("channel", channel);
    p.put("outbox", outbox);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, MARK)
        .execute(p)
        .map(
            r -> {
              if (r.rowCount() != 1) {
                throw new IllegalStateException("appointment already reminded or cancelled: " + id);
              }
              return null;
            });
  }
}
