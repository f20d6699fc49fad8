package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The statements of a patient's erasure, all in the caller's transaction: the rooms' messages,
 * files, read markers and notifications, the consents and their documents go; the rooms stay with a
 * neutral title, the patient row as a tombstone without identity.
 */
final class ErasureStore {

  private static final String LOCK =
      "SELECT id FROM patients WHERE id = #{id} AND erased_at IS NULL FOR UPDATE";

  /** The newest piece of documentation about the patient and the newest consent's status. */
  private static final String STATE =
      """
      SELECT greatest(
          (SELECT max(m.sent_at) FROM messages m JOIN rooms r ON r.id = m.room_id
            WHERE r.patient_id = #{id}),
          (SELECT max(greatest(c.uploaded_at, c.revoked_at)) FROM consents c
            WHERE c.patient_id = #{id})) AS newest,
        (SELECT c.status FROM consents c WHERE c.patient_id = #{id}
          ORDER BY c.version DESC LIMIT 1) AS consent_status""";

  private static final String ROOMS = "(SELECT id FROM rooms WHERE patient_id = #{id})";

  private static final String READ_MARKERS = "DELETE FROM read_markers WHERE room_id IN " + ROOMS;

  private static final String NOTIFICATIONS =
      "DELETE FROM room_notifications WHERE room_id IN " + ROOMS;

  private static final String ATTACHMENTS =
      "DELETE FROM attachments WHERE room_id IN " + ROOMS + " RETURNING file_id";

  /** Replies and corrections point into the same room, so one statement removes them together. */
  private static final String MESSAGES = "DELETE FROM messages WHERE room_id IN " + ROOMS;

  private static final String NEUTRAL_TITLES =
      "UPDATE rooms SET title = #{title} WHERE patient_id = #{id}";

  private static final String CONSENT_ORGANISATIONS =
      """
      DELETE FROM consent_organisations
      WHERE consent_id IN (SELECT id FROM consents WHERE patient_id = #{id})""";

  private static final String CONSENTS =
      "DELETE FROM consents WHERE patient_id = #{id} RETURNING file_id, revocation_file_id";

  /** The contact permissions' history goes with the patient, and with it the signed forms. */
  private static final String CONTACT_PERMISSIONS =
      "DELETE FROM contact_permissions WHERE patient_id = #{id} RETURNING file_id";

  /** Campaigns keep that a message went to the tombstone, not where it went. */
  private static final String CAMPAIGN_ADDRESSES =
      "UPDATE campaign_recipients SET address = NULL WHERE patient_id = #{id}";

  private static final String OPT_OUT_TOKENS =
      "DELETE FROM opt_out_tokens WHERE patient_id = #{id}";

  /** The patient's appointments go too (their reminders' tokens just went). */
  private static final String APPOINTMENTS = "DELETE FROM appointments WHERE patient_id = #{id}";

  /** The tags and recall date the campaigns' recipient picker filters by. */
  private static final String OUTREACH_PROFILE =
      "DELETE FROM patient_outreach_profiles WHERE patient_id = #{id}";

  private static final String FILES = "DELETE FROM stored_files WHERE id = ANY(#{files})";

  private static final String MAILBOXES =
      "(SELECT id FROM mailbox_accounts WHERE patient_id = #{id})";

  /** The patient mailbox goes whole: its address, keys, sessions and ciphertexts. */
  private static final List<String> MAILBOX =
      List.of(
          // the mails to the patient's address (invitation, notifications) name it as recipient
          "DELETE FROM outbox WHERE channel = 'mail' AND lower(recipient) IN"
              + " (SELECT lower(email) FROM mailbox_accounts WHERE patient_id = #{id})",
          "DELETE FROM mailbox_attachments WHERE message_id IN"
              + " (SELECT id FROM mailbox_messages WHERE account_id IN "
              + MAILBOXES
              + ")",
          "DELETE FROM mailbox_messages WHERE account_id IN " + MAILBOXES,
          "DELETE FROM mailbox_sessions WHERE account_id IN " + MAILBOXES,
          "DELETE FROM mailbox_reset_tokens WHERE account_id IN " + MAILBOXES,
          "DELETE FROM mailbox_accounts WHERE patient_id = #{id}");

  /**
   * The patient's secure deliveries go with the mails and SMS that carried their links and codes:
   * the rows hold the recipients' addresses and numbers. One statement, since the outbox rows are
   * known only through the deliveries (the foreign keys are checked at its end). The sealed files,
   * which nothing can open any more, are removed by the deliveries' sweep.
   */
  private static final String DELIVERIES =
      """
      WITH gone AS (DELETE FROM deliveries WHERE patient_id = #{id}
        RETURNING mail_outbox_id, sms_outbox_id)
      DELETE FROM outbox WHERE id IN (SELECT mail_outbox_id FROM gone
        UNION SELECT sms_outbox_id FROM gone)""";

  private static final String TOMBSTONE =
      """
      UPDATE patients SET family_name = NULL, given_name = NULL, birth_date = NULL,
        insurance_number = NULL, email = NULL, mobile = NULL, salutation = NULL, street = NULL,
        postcode = NULL, city = NULL, erased_at = #{now}
      WHERE id = #{id}""";

  /** Where the patient stands: null when there is no such (unerased) patient. */
  record State(OffsetDateTime newestDocumentation, String consentStatus) {}

  /** What was removed; the files are still to be deleted from the file store. */
  record Removed(int rooms, long messages, List<UUID> files) {}

  Future<State> lock(SqlClient tx, UUID patient) {
    Map<String, Object> p = Map.of("id", patient);
    return SqlTemplate.forQuery(tx, LOCK)
        .execute(p)
        .compose(
            locked ->
                locked.size() == 0
                    ? Future.succeededFuture(null)
                    : SqlTemplate.forQuery(tx, STATE)
                        .execute(p)
                        .map(
                            rows -> {
                              Row row = rows.iterator().next();
                              return new State(
                                  row.getOffsetDateTime("newest"), row.getString("consent_status"));
                            }));
  }

  Future<Removed> erase(SqlClient tx, UUID patient, String neutralTitle, OffsetDateTime now) {
    Map<String, Object> p = Map.of("id", patient);
    List<UUID> files = new ArrayList<>();
    long[] messages = new long[1];
    int[] rooms = new int[1];
    return update(tx, READ_MARKERS, p)
        .compose(done -> update(tx, NOTIFICATIONS, p))
        .compose(done -> SqlTemplate.forQuery(tx, ATTACHMENTS).execute(p))
        .compose(
            attachments -> {
              attachments.forEach(row -> files.add(row.getUUID("file_id")));
              return SqlTemplate.forUpdate(tx, MESSAGES).execute(p);
            })
        .compose(
            deleted -> {
              messages[0] = deleted.rowCount();
              return SqlTemplate.forUpdate(tx, NEUTRAL_TITLES)
                  .execute(Map.of("id", patient, "title", neutralTitle));
            })
        .compose(
            renamed -> {
              rooms[0] = renamed.rowCount();
              return update(tx, CONSENT_ORGANISATIONS, p);
            })
        .compose(done -> SqlTemplate.forQuery(tx, CONSENTS).execute(p))
        .compose(
            consents -> {
              for (Row row : consents) {
                files.add(row.getUUID("file_id"));
                if (row.getUUID("revocation_file_id") != null) {
                  files.add(row.getUUID("revocation_file_id"));
                }
              }
              return update(tx, CAMPAIGN_ADDRESSES, p)
                  .compose(done -> update(tx, OPT_OUT_TOKENS, p))
                  .compose(done -> update(tx, APPOINTMENTS, p))
                  .compose(done -> update(tx, OUTREACH_PROFILE, p))
                  .compose(done -> SqlTemplate.forQuery(tx, CONTACT_PERMISSIONS).execute(p));
            })
        .compose(
            permissions -> {
              for (Row row : permissions) {
                if (row.getUUID("file_id") != null) {
                  files.add(row.getUUID("file_id"));
                }
              }
              return SqlTemplate.forUpdate(tx, FILES)
                  .execute(Map.of("files", files.toArray(new UUID[0])));
            })
        .compose(done -> inOrder(tx, MAILBOX, p))
        .compose(done -> update(tx, DELIVERIES, p))
        .compose(
            done -> SqlTemplate.forUpdate(tx, TOMBSTONE).execute(Map.of("id", patient, "now", now)))
        .map(done -> new Removed(rooms[0], messages[0], List.copyOf(files)));
  }

  private static Future<Void> inOrder(
      SqlClient tx, List<String> statements, Map<String, Object> p) {
    Future<Void> done = Future.succeededFuture();
    for (String sql : statements) {
      done = done.compose(previous -> update(tx, sql, p));
    }
    return done;
  }

  private static Future<Void> update(SqlClient tx, String sql, Map<String, Object> p) {
    return SqlTemplate.forUpdate(tx, sql).execute(p).mapEmpty();
  }
}
