package org.konsil.server.delivery;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for deliveries and the organisations' delivery settings. */
final class DeliveryStore {

  /** A delivery with the states of its mail and SMS in the outbox. */
  private static final String VIEW =
      """
      SELECT d.*, mo.status AS mail_status, so.status AS sms_status
      FROM deliveries d
      LEFT JOIN outbox mo ON mo.id = d.mail_outbox_id
      LEFT JOIN outbox so ON so.id = d.sms_outbox_id""";

  private static final String BY_ID = VIEW + " WHERE d.id = #{id}";

  private static final String BY_PATIENT =
      VIEW + " WHERE d.patient_id = #{patient} ORDER BY d.created_at DESC, d.id LIMIT 200";

  /** What opening a link needs besides the view: the key's salt, cost and nonce. */
  private static final String SECRETS_BY_HASH =
      """
      SELECT d.id, d.kdf_salt, d.kdf_memory_kib, d.kdf_iterations, d.nonce, o.name AS org_name
      FROM deliveries d JOIN organisations o ON o.id = d.organisation_id
      WHERE d.secret_hash = #{hash}""";

  private static final String INSERT =
      """
      INSERT INTO deliveries (id, organisation_id, patient_id, created_by, created_at, recipient,
        email, document_kind, verification, value_source, sms_number, secret_hash, kdf_salt,
        kdf_memory_kib, kdf_iterations, nonce, media_type, size_bytes, file_name, expires_at,
        reissue_of)
      VALUES (#{id}, #{org}, #{patient}, #{by}, #{now}, #{recipient}, #{email}, #{kind},
        #{verification}, #{source}, #{sms}, #{hash}, #{salt}, #{memory}, #{iterations}, #{nonce},
        #{type}, #{size}, #{name}, #{expires}, #{reissueOf})""";

  private static final String SET_OUTBOX =
      "UPDATE deliveries SET mail_outbox_id = #{mail}, sms_outbox_id = #{sms} WHERE id = #{id}";

  /**
   * Takes one of the five tries before the value is checked, so that tries sent at once cannot
   * exceed them; a right value gives its try back.
   */
  private static final String TAKE_TRY =
      """
      UPDATE deliveries SET failed_attempts = failed_attempts + 1
      WHERE id = #{id} AND withdrawn_at IS NULL AND downloaded_at IS NULL AND locked_at IS NULL
        AND expires_at > #{now} AND failed_attempts < #{max}
      RETURNING failed_attempts""";

  private static final String DOWNLOADED =
      """
      UPDATE deliveries SET failed_attempts = failed_attempts - 1, downloaded_at = #{now}
      WHERE id = #{id} AND downloaded_at IS NULL AND withdrawn_at IS NULL AND locked_at IS NULL
      RETURNING id""";

  private static final String LOCK =
      "UPDATE deliveries SET locked_at = #{now} WHERE id = #{id} AND locked_at IS NULL RETURNING id";

  private static final String WITHDRAW =
      """
      UPDATE deliveries SET withdrawn_at = #{now}
      WHERE id = #{id} AND withdrawn_at IS NULL AND downloaded_at IS NULL RETURNING id""";

  /** Of these deliveries, the ones whose sealed file can never be opened any more. */
  private static final String DONE_WITH =
      """
      SELECT id FROM deliveries WHERE id = ANY(#{ids})
        AND (downloaded_at IS NOT NULL OR locked_at IS NOT NULL OR withdrawn_at IS NOT NULL
          OR expires_at <= #{now})""";

  /** Of these ids, the ones that have a delivery row. */
  private static final String KNOWN = "SELECT id FROM deliveries WHERE id = ANY(#{ids})";

  private static final String SENDER_EMAIL = "SELECT email FROM users WHERE id = #{id}";

  private static final String ORGANISATION_NAME = "SELECT name FROM organisations WHERE id = #{id}";

  private static final String SETTINGS =
      "SELECT * FROM delivery_settings WHERE organisation_id = #{org}";

  private static final String SAVE_SETTINGS =
      """
      INSERT INTO delivery_settings (organisation_id, verified_link_days, sms_link_days,
        allow_unverified_invoices, updated_by, updated_at)
      VALUES (#{org}, #{verified}, #{sms}, #{unverified}, #{by}, #{now})
      ON CONFLICT (organisation_id) DO UPDATE SET verified_link_days = #{verified},
        sms_link_days = #{sms}, allow_unverified_invoices = #{unverified}, updated_by = #{by},
        updated_at = #{now}""";

  /** The key material of a delivery, found by the hash of its link's secret. */
  record KeyMaterial(
      UUID id, byte[] salt, DeliveryCrypto.Cost cost, byte[] nonce, String organisationName) {}

  private final SqlTemplate<Map<String, Object>, RowSet<Delivery>> byId;
  private final SqlTemplate<Map<String, Object>, RowSet<Delivery>> byPatient;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> secretsByHash;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> settings;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> senderEmail;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> organisationName;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> doneWith;
  private final SqlTemplate<Map<String, Object>, RowSet<Row>> known;

  DeliveryStore(Pool pool) {
    this.byId = SqlTemplate.forQuery(pool, BY_ID).mapTo(Delivery.MAPPER);
    this.byPatient = SqlTemplate.forQuery(pool, BY_PATIENT).mapTo(Delivery.MAPPER);
    this.secretsByHash = SqlTemplate.forQuery(pool, SECRETS_BY_HASH);
    this.settings = SqlTemplate.forQuery(pool, SETTINGS);
    this.senderEmail = SqlTemplate.forQuery(pool, SENDER_EMAIL);
    this.organisationName = SqlTemplate.forQuery(pool, ORGANISATION_NAME);
    this.doneWith = SqlTemplate.forQuery(pool, DONE_WITH);
    this.known = SqlTemplate.forQuery(pool, KNOWN);
  }

  Future<Delivery> byId(UUID id) {
    return byId.execute(Map.of("id", id)).map(Rows::firstOrNull);
  }

  Future<List<Delivery>> byPatient(UUID patient) {
    return byPatient.execute(Map.of("patient", patient)).map(Rows::list);
  }

  Future<KeyMaterial> keyMaterial(byte[] secretHash) {
    return secretsByHash
        .execute(Map.of("hash", Buffer.buffer(secretHash)))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Row row = rows.iterator().next();
              return new KeyMaterial(
                  row.getUUID("id"),
                  row.getBuffer("kdf_salt").getBytes(),
                  new DeliveryCrypto.Cost(
                      row.getInteger("kdf_memory_kib"), row.getInteger("kdf_iterations")),
                  row.getBuffer("nonce").getBytes(),
                  row.getString("org_name"));
            });
  }

  /** One new delivery; {@code p} holds every column of {@link #INSERT}. */
  Future<Void> insert(SqlClient tx, Map<String, Object> p) {
    return SqlTemplate.forUpdate(tx, INSERT).execute(p).mapEmpty();
  }

  Future<Void> setOutbox(SqlClient tx, UUID id, Long mail, Long sms) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("mail", mail);
    p.put("sms", sms);
    return SqlTemplate.forUpdate(tx, SET_OUTBOX).execute(p).mapEmpty();
  }

  /** The number of tries taken so far including this one, or null when none may be taken. */
  Future<Integer> takeTry(SqlClient tx, UUID id, OffsetDateTime now, int max) {
    return SqlTemplate.forQuery(tx, TAKE_TRY)
        .execute(Map.of("id", id, "now", now, "max", max))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getInteger(0));
  }

  Future<Boolean> downloaded(SqlClient tx, UUID id, OffsetDateTime now) {
    return SqlTemplate.forQuery(tx, DOWNLOADED)
        .execute(Map.of("id", id, "now", now))
        .map(rows -> rows.size() == 1);
  }

  Future<Boolean> lock(SqlClient tx, UUID id, OffsetDateTime now) {
    return SqlTemplate.forQuery(tx, LOCK)
        .execute(Map.of("id", id, "now", now))
        .map(rows -> rows.size() == 1);
  }

  Future<Boolean> withdraw(SqlClient tx, UUID id, OffsetDateTime now) {
    return SqlTemplate.forQuery(tx, WITHDRAW)
        .execute(Map.of("id", id, "now", now))
        .map(rows -> rows.size() == 1);
  }

  Future<java.util.Set<UUID>> doneWith(List<UUID> ids, OffsetDateTime now) {
    return doneWith
        .execute(Map.of("ids", ids.toArray(new UUID[0]), "now", now))
        .map(rows -> ids(rows));
  }

  Future<java.util.Set<UUID>> known(List<UUID> ids) {
    return known.execute(Map.of("ids", ids.toArray(new UUID[0]))).map(rows -> ids(rows));
  }

  private static java.util.Set<UUID> ids(RowSet<Row> rows) {
    java.util.Set<UUID> ids = new java.util.HashSet<>();
    rows.forEach(row -> ids.add(row.getUUID("id")));
    return ids;
  }

  Future<String> senderEmail(UUID user) {
    return senderEmail
        .execute(Map.of("id", user))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  Future<String> organisationName(UUID org) {
    return organisationName
        .execute(Map.of("id", org))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  Future<DeliverySettings> settings(UUID org) {
    return settings
        .execute(Map.of("org", org))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return DeliverySettings.DEFAULTS;
              }
              Row row = rows.iterator().next();
              return new DeliverySettings(
                  row.getInteger("verified_link_days"),
                  row.getInteger("sms_link_days"),
                  row.getBoolean("allow_unverified_invoices"));
            });
  }

  Future<Void> saveSettings(
      SqlClient tx, UUID org, DeliverySettings s, UUID by, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("org", org);
    p.put("verified", s.verifiedLinkDays());
    p.put("sms", s.smsLinkDays());
    p.put("unverified", s.allowUnverifiedInvoices());
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, SAVE_SETTINGS).execute(p).mapEmpty();
  }
}
