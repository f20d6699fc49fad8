package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.RowMapper;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for attachments: the row written with an attachment message, and reads for members. */
final class AttachmentStore {

  private static final String INSERT =
      """
      INSERT INTO attachments (id, room_id, file_id, uploaded_by, uploaded_at)
      VALUES (#{id}, #{room}, #{file}, #{by}, #{now})""";

  private static final String VISIBLE =
      """
      SELECT a.room_id, r.patient_id, pt.organisation_id AS patient_organisation_id,
             f.id AS file_id, f.media_type, f.file_name,
             pt.consent_revoked_at IS NOT NULL AS revoked
        FROM attachments a JOIN rooms r ON r.id = a.room_id
        JOIN room_members m ON m.room_id = r.id AND m.organisation_id = #{org}
        JOIN stored_files f ON f.id = a.file_id
        LEFT JOIN patients pt ON pt.id = r.patient_id
       WHERE a.id = #{id}""";

  private static final String OWNER =
      """
      SELECT coalesce(pt.organisation_id, r.created_by_org) AS owner_org
        FROM attachments a JOIN rooms r ON r.id = a.room_id
        LEFT JOIN patients pt ON pt.id = r.patient_id
       WHERE a.id = #{id}""";

  /**
   * An attachment as a member organisation sees it: its room, the room's patient (null in a general
   * room) and that patient's organisation, its file, and whether the patient revoked consent.
   */
  record Visible(
      UUID roomId,
      UUID patientId,
      UUID patientOrganisationId,
      UUID fileId,
      String mediaType,
      String fileName,
      boolean revoked) {

    static final RowMapper<Visible> MAPPER =
        row ->
            new Visible(
                row.getUUID("room_id"),
                row.getUUID("patient_id"),
                row.getUUID("patient_organisation_id"),
                row.getUUID("file_id"),
                row.getString("media_type"),
                row.getString("file_name"),
                row.getBoolean("revoked"));
  }

  Future<Void> insert(SqlClient tx, UUID id, UUID room, UUID file, UUID by, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, INSERT)
        .execute(Map.of("id", id, "room", room, "file", file, "by", by, "now", now))
        .mapEmpty();
  }

  /** The attachment if the organisation is a member of its room, else null. */
  Future<Visible> visibleTo(SqlClient client, UUID id, UUID org) {
    return SqlTemplate.forQuery(client, VISIBLE)
        .mapTo(Visible.MAPPER)
        .execute(Map.of("id", id, "org", org))
        .map(Rows::firstOrNull);
  }

  /**
   * The organisation that owns the room an attachment was sent in (the patient's, or the creator's
   * for a general room), or null when there is no such attachment; for refusals.
   */
  Future<UUID> owner(SqlClient client, UUID id) {
    return SqlTemplate.forQuery(client, OWNER)
        .execute(Map.of("id", id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID("owner_org"));
  }
}
