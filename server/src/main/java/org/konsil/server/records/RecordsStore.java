package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.templates.RowMapper;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;
import org.konsil.server.records.RecordRows.AuditRow;
import org.konsil.server.records.RecordRows.ConsentRow;
import org.konsil.server.records.RecordRows.FileRow;
import org.konsil.server.records.RecordRows.MessageRow;
import org.konsil.server.records.RecordRows.OrganisationRow;
import org.konsil.server.records.RecordRows.PatientRow;
import org.konsil.server.records.RecordRows.RoomRow;
import org.konsil.server.records.RecordRows.SenderRow;

/** Reads a room's record: the room, its patient and consents, its messages and audit events. */
final class RecordsStore {

  private static final String ROOM =
      """
      SELECT r.id, r.kind, r.title, r.created_at, r.created_by_org, r.patient_id,
        p.organisation_id AS patient_org, p.family_name, p.given_name, p.birth_date,
        p.insurance_number, p.email, p.mobile, p.consent_revoked_at
      FROM rooms r LEFT JOIN patients p ON p.id = r.patient_id
      WHERE r.id = #{room}""";

  private static final String PATIENT =
      """
      SELECT p.id AS patient_id, p.organisation_id AS patient_org, p.family_name, p.given_name,
        p.birth_date, p.insurance_number, p.email, p.mobile, p.consent_revoked_at
      FROM patients p WHERE p.id = #{patient} AND p.erased_at IS NULL""";

  private static final String ORGANISATION =
      "SELECT id, kind, name, street, postal_code, city, email, fax FROM organisations"
          + " WHERE id = #{org}";

  private static final String PATIENT_ROOMS =
      "SELECT id FROM rooms WHERE patient_id = #{patient} ORDER BY created_at, id";

  /** Every document about the patient: consent and revocation documents, attachments. */
  private static final String PATIENT_FILES =
      """
      SELECT f.id AS file_id, f.media_type, f.size_bytes, f.file_name,
        f.created_at AS file_created_at
      FROM stored_files f
      WHERE f.id IN (SELECT file_id FROM consents WHERE patient_id = #{patient})
         OR f.id IN (SELECT revocation_file_id FROM consents WHERE patient_id = #{patient})
         OR f.id IN (SELECT a.file_id FROM attachments a JOIN rooms r ON r.id = a.room_id
                     WHERE r.patient_id = #{patient})
      ORDER BY f.created_at, f.id""";

  private static final String ORGANISATIONS =
      """
      SELECT id, kind, name, street, postal_code, city, email, fax FROM organisations
      WHERE id = #{owner}
         OR id IN (SELECT organisation_id FROM room_members WHERE room_id = #{room})
         OR id IN (SELECT m.sender_org_id FROM messages m WHERE m.room_id = #{room})
      ORDER BY id""";

  private static final String CONSENTS =
      """
      SELECT c.id, c.version, c.status, c.uploaded_at, c.revoked_at, c.revocation_date,
        f.id AS file_id, f.media_type, f.size_bytes, f.file_name, f.created_at AS file_created_at,
        rf.id AS r_file_id, rf.media_type AS r_media_type, rf.size_bytes AS r_size_bytes,
        rf.file_name AS r_file_name, rf.created_at AS r_file_created_at,
        ARRAY(SELECT organisation_id FROM consent_organisations o WHERE o.consent_id = c.id
              ORDER BY organisation_id) AS organisations
      FROM consents c
      JOIN stored_files f ON f.id = c.file_id
      LEFT JOIN stored_files rf ON rf.id = c.revocation_file_id
      WHERE c.patient_id = #{patient}
      ORDER BY c.version""";

  private static final String SENDERS =
      """
      SELECT u.id, u.display_name, u.organisation_id FROM users u
      WHERE u.id IN (SELECT m.sender_user_id FROM messages m WHERE m.room_id = #{room})
      ORDER BY u.id""";

  /** One page of messages after a sequence number; an attachment brings its file. */
  private static final String MESSAGES =
      """
      SELECT m.seq, m.id, m.kind, m.content, m.sent_at, m.sender_user_id, m.sender_org_id,
        m.reply_to, m.corrects, a.id AS attachment_id, f.id AS file_id, f.media_type, f.size_bytes, f.file_name,
        f.created_at AS file_created_at
      FROM messages m
      LEFT JOIN attachments a ON a.id = CASE WHEN m.kind = 'attachment'
                                        THEN (m.content::jsonb ->> 'attachmentId')::uuid END
      LEFT JOIN stored_files f ON f.id = a.file_id
      WHERE m.room_id = #{room} AND m.seq > #{after}
      ORDER BY m.seq LIMIT #{limit}""";

  /** One page of the audit events about the room and what belongs to it. */
  private static final String AUDIT =
      """
      SELECT id, occurred_at, actor_user_id, actor_org_id, action, outcome, object_type,
        object_id, details
      FROM audit_events
      WHERE id > #{after}
        AND (object_id = #{room}
          OR object_id = #{patient}
          OR object_id IN (SELECT id FROM consents WHERE patient_id = #{patient})
          OR object_id IN (SELECT id FROM attachments WHERE room_id = #{room})
          OR object_id IN (SELECT id FROM invitations WHERE room_id = #{room}))
      ORDER BY id LIMIT #{limit}""";

  private static final RowMapper<PatientRow> PATIENT_MAPPER =
      row ->
          new PatientRow(
              row.getUUID("patient_id"),
              row.getUUID("patient_org"),
              row.getString("family_name"),
              row.getString("given_name"),
              row.getLocalDate("birth_date"),
              row.getString("insurance_number"),
              row.getString("email"),
              row.getString("mobile"),
              row.getOffsetDateTime("consent_revoked_at"));

  private static final RowMapper<RoomRow> ROOM_MAPPER =
      row ->
          new RoomRow(
              row.getUUID("id"),
              row.getString("kind"),
              row.getString("title"),
              row.getOffsetDateTime("created_at"),
              row.getUUID("created_by_org"),
              row.getUUID("patient_id") == null ? null : PATIENT_MAPPER.map(row));

  private static final RowMapper<OrganisationRow> ORGANISATION_MAPPER =
      row ->
          new OrganisationRow(
              row.getUUID("id"),
              row.getString("kind"),
              row.getString("name"),
              row.getString("street"),
              row.getString("postal_code"),
              row.getString("city"),
              row.getString("email"),
              row.getString("fax"));

  private static final RowMapper<ConsentRow> CONSENT_MAPPER =
      row ->
          new ConsentRow(
              row.getUUID("id"),
              row.getInteger("version"),
              row.getString("status"),
              row.getOffsetDateTime("uploaded_at"),
              row.getOffsetDateTime("revoked_at"),
              row.getLocalDate("revocation_date"),
              FileRow.from(row, ""),
              FileRow.from(row, "r_"),
              Arrays.asList(row.getArrayOfUUIDs("organisations")));

  private static final RowMapper<SenderRow> SENDER_MAPPER =
      row ->
          new SenderRow(
              row.getUUID("id"), row.getString("display_name"), row.getUUID("organisation_id"));

  private static final RowMapper<MessageRow> MESSAGE_MAPPER =
      row ->
          new MessageRow(
              row.getLong("seq"),
              row.getUUID("id"),
              row.getString("kind"),
              row.getString("content"),
              row.getOffsetDateTime("sent_at"),
              row.getUUID("sender_user_id"),
              row.getUUID("sender_org_id"),
              row.getUUID("reply_to"),
              row.getUUID("corrects"),
              row.getUUID("attachment_id"),
              FileRow.from(row, ""));

  private static final RowMapper<AuditRow> AUDIT_MAPPER =
      row ->
          new AuditRow(
              row.getLong("id"),
              row.getOffsetDateTime("occurred_at"),
              row.getUUID("actor_user_id"),
              row.getUUID("actor_org_id"),
              row.getString("action"),
              row.getString("outcome"),
              row.getString("object_type"),
              row.getUUID("object_id"),
              row.getString("details"));

  private final SqlTemplate<Map<String, Object>, RowSet<RoomRow>> room;
  private final SqlTemplate<Map<String, Object>, RowSet<PatientRow>> patient;
  private final SqlTemplate<Map<String, Object>, RowSet<OrganisationRow>> organisation;
  private final SqlTemplate<Map<String, Object>, RowSet<UUID>> patientRooms;
  private final SqlTemplate<Map<String, Object>, RowSet<FileRow>> patientFiles;
  private final SqlTemplate<Map<String, Object>, RowSet<OrganisationRow>> organisations;
  private final SqlTemplate<Map<String, Object>, RowSet<ConsentRow>> consents;
  private final SqlTemplate<Map<String, Object>, RowSet<SenderRow>> senders;
  private final SqlTemplate<Map<String, Object>, RowSet<MessageRow>> messages;
  private final SqlTemplate<Map<String, Object>, RowSet<AuditRow>> audit;

  RecordsStore(Pool pool) {
    this.room = SqlTemplate.forQuery(pool, ROOM).mapTo(ROOM_MAPPER);
    this.patient = SqlTemplate.forQuery(pool, PATIENT).mapTo(PATIENT_MAPPER);
    this.organisation = SqlTemplate.forQuery(pool, ORGANISATION).mapTo(ORGANISATION_MAPPER);
    this.patientRooms = SqlTemplate.forQuery(pool, PATIENT_ROOMS).mapTo(row -> row.getUUID("id"));
    this.patientFiles =
        SqlTemplate.forQuery(pool, PATIENT_FILES).mapTo(row -> FileRow.from(row, ""));
    this.organisations = SqlTemplate.forQuery(pool, ORGANISATIONS).mapTo(ORGANISATION_MAPPER);
    this.consents = SqlTemplate.forQuery(pool, CONSENTS).mapTo(CONSENT_MAPPER);
    this.senders = SqlTemplate.forQuery(pool, SENDERS).mapTo(SENDER_MAPPER);
    this.messages = SqlTemplate.forQuery(pool, MESSAGES).mapTo(MESSAGE_MAPPER);
    this.audit = SqlTemplate.forQuery(pool, AUDIT).mapTo(AUDIT_MAPPER);
  }

  /** The room, or null when there is none. */
  Future<RoomRow> room(UUID roomId) {
    return room.execute(Map.of("room", roomId)).map(Rows::firstOrNull);
  }

  /** The patient (not erased), or null. */
  Future<PatientRow> patient(UUID patientId) {
    return patient.execute(Map.of("patient", patientId)).map(Rows::firstOrNull);
  }

  Future<OrganisationRow> organisation(UUID organisationId) {
    return organisation.execute(Map.of("org", organisationId)).map(Rows::firstOrNull);
  }

  Future<List<UUID>> patientRooms(UUID patientId) {
    return patientRooms.execute(Map.of("patient", patientId)).map(Rows::list);
  }

  Future<List<FileRow>> patientFiles(UUID patientId) {
    return patientFiles.execute(Map.of("patient", patientId)).map(Rows::list);
  }

  Future<List<OrganisationRow>> organisations(RoomRow room) {
    return organisations.execute(Map.of("room", room.id(), "owner", room.owner())).map(Rows::list);
  }

  Future<List<ConsentRow>> consents(UUID patientId) {
    return consents.execute(Map.of("patient", patientId)).map(Rows::list);
  }

  Future<List<SenderRow>> senders(UUID roomId) {
    return senders.execute(Map.of("room", roomId)).map(Rows::list);
  }

  Future<List<MessageRow>> messages(UUID roomId, long afterSeq, int limit) {
    return messages
        .execute(Map.of("room", roomId, "after", afterSeq, "limit", limit))
        .map(Rows::list);
  }

  /** Audit events of a room (and of its patient, if any) after an event id. */
  Future<List<AuditRow>> audit(RoomRow room, long afterId, int limit) {
    // a general room has no patient: the nil UUID names no object
    UUID patient = room.patient() == null ? new UUID(0, 0) : room.patient().id();
    return audit
        .execute(Map.of("room", room.id(), "patient", patient, "after", afterId, "limit", limit))
        .map(Rows::list);
  }
}
