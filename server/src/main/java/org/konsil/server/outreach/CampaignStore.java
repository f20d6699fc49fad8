package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.http.Rows;

/** SQL for templates, campaigns, their recipients and the opt-out tokens of their messages. */
final class CampaignStore {

  private static final String INSERT_TEMPLATE =
      """
      INSERT INTO message_templates (id, organisation_id, name, channel, language, subject, body,
        created_by, created_at)
      VALUES (#{id}, #{org}, #{name}, #{channel}, #{language}, #{subject}, #{body}, #{by}, #{now})""";

  private static final String TEMPLATES =
      "SELECT * FROM message_templates WHERE organisation_id = #{org} ORDER BY created_at DESC, id";

  private static final String TEMPLATE =
      "SELECT * FROM message_templates WHERE id = #{id} AND organisation_id = #{org}";

  private static final String SETTINGS =
      """
      SELECT o.name, o.street, o.postal_code, o.city, s.practice_phone
      FROM organisations o LEFT JOIN outreach_settings s ON s.organisation_id = o.id
      WHERE o.id = #{org}""";

  private static final String SET_PHONE =
      """
      INSERT INTO outreach_settings (organisation_id, practice_phone, updated_by, updated_at)
      VALUES (#{org}, #{phone}, #{by}, #{now})
      ON CONFLICT (organisation_id) DO UPDATE SET practice_phone = excluded.practice_phone,
        updated_by = excluded.updated_by, updated_at = excluded.updated_at""";

  private static final String CAMPAIGN_SELECT =
      """
      SELECT c.*,
        count(*) FILTER (WHERE r.state = 'listed') AS listed,
        count(*) FILTER (WHERE r.state = 'not_selected') AS not_selected,
        count(*) FILTER (WHERE r.state = 'queued') AS queued,
        count(*) FILTER (WHERE r.state = 'sent') AS sent,
        count(*) FILTER (WHERE r.state = 'failed') AS failed
      FROM campaigns c LEFT JOIN campaign_recipients r ON r.campaign_id = c.id
      """;

  private static final String CAMPAIGNS =
      CAMPAIGN_SELECT
          + "WHERE c.organisation_id = #{org} GROUP BY c.id ORDER BY c.created_at DESC, c.id"
          + " LIMIT 200";

  private static final String CAMPAIGN =
      CAMPAIGN_SELECT + "WHERE c.id = #{id} AND c.organisation_id = #{org} GROUP BY c.id";

  private static final String LOCK_CAMPAIGN =
      "SELECT id FROM campaigns WHERE id = #{id} AND organisation_id = #{org} FOR UPDATE";

  private static final String INSERT_CAMPAIGN =
      """
      INSERT INTO campaigns (id, organisation_id, name, channel, purpose, template_id, status,
        created_by, created_at)
      VALUES (#{id}, #{org}, #{name}, #{channel}, #{purpose}, #{template}, 'draft', #{by}, #{now})""";

  /** Which of these ids are patients of the organisation (not erased). */
  private static final String OWN_PATIENTS =
      """
      SELECT id FROM patients
      WHERE id = ANY(#{ids}) AND organisation_id = #{org} AND erased_at IS NULL""";

  /** Patients whose birthday (month and day) lies in a range; a range may wrap the new year. */
  private static final String BY_BIRTHDAY =
      """
      SELECT id FROM patients WHERE organisation_id = #{org} AND erased_at IS NULL
        AND CASE WHEN #{from} <= #{to}
          THEN to_char(birth_date, 'MM-DD') BETWEEN #{from} AND #{to}
          ELSE to_char(birth_date, 'MM-DD') >= #{from} OR to_char(birth_date, 'MM-DD') <= #{to} END
      ORDER BY lower(family_name), lower(given_name), id LIMIT #{limit}""";

  private static final String ALL_PATIENTS =
      """
      SELECT id FROM patients WHERE organisation_id = #{org} AND erased_at IS NULL
      ORDER BY lower(family_name), lower(given_name), id LIMIT #{limit}""";

  private static final String LISTED_IDS =
      "SELECT patient_id FROM campaign_recipients WHERE campaign_id = #{campaign}";

  private static final String ADD_RECIPIENTS =
      """
      INSERT INTO campaign_recipients (campaign_id, patient_id, position, state, updated_at)
      SELECT #{campaign}, ids.id,
        (SELECT coalesce(max(position), 0) FROM campaign_recipients WHERE campaign_id = #{campaign})
          + ids.n, 'listed', #{now}
      FROM unnest(#{ids}::uuid[]) WITH ORDINALITY AS ids (id, n)
      ON CONFLICT DO NOTHING""";

  /** What a message may use of the patients: name, salutation, addresses. */
  private static final String CONTACTS =
      """
      SELECT id, family_name, given_name, salutation, street, postcode, city, email, mobile
      FROM patients WHERE id = ANY(#{ids}) AND erased_at IS NULL""";

  private static final String LOCK_PATIENTS =
      "SELECT id FROM patients WHERE id = ANY(#{ids}) ORDER BY id FOR SHARE";

  private static final String RECIPIENTS =
      """
      SELECT r.*, p.family_name, p.given_name, o.status AS delivery
      FROM campaign_recipients r JOIN patients p ON p.id = r.patient_id
      LEFT JOIN outbox o ON o.id = r.outbox_id
      WHERE r.campaign_id = #{campaign} ORDER BY r.position""";

  private static final String SELECT_FOR_SENDING =
      """
      UPDATE campaign_recipients
      SET state = CASE WHEN patient_id = ANY(#{ids}) THEN 'queued' ELSE 'not_selected' END,
        updated_at = #{now}
      WHERE campaign_id = #{campaign} AND state = 'listed'""";

  private static final String START =
      """
      UPDATE campaigns SET status = 'sending', sent_by = #{by}, send_started_at = #{now}
      WHERE id = #{id}""";

  /** The next queued recipients of every sending campaign, oldest campaign first, claimed. */
  private static final String CLAIM =
      """
      SELECT r.campaign_id, r.patient_id, c.organisation_id, c.channel, c.purpose, c.template_id
      FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
      WHERE r.state = 'queued' AND c.status = 'sending'
      ORDER BY c.send_started_at, r.campaign_id, r.position
      LIMIT #{limit} FOR UPDATE OF r SKIP LOCKED""";

  private static final String MARK =
      """
      UPDATE campaign_recipients SET state = #{state}, reason = #{reason}, address = #{address},
        outbox_id = #{outbox}, updated_at = #{now}
      WHERE campaign_id = #{campaign} AND patient_id = #{patient} AND state = 'queued'""";

  private static final String FINISH =
      """
      UPDATE campaigns c SET status = 'done', finished_at = #{now}
      WHERE c.status = 'sending' AND NOT EXISTS (SELECT 1 FROM campaign_recipients r
        WHERE r.campaign_id = c.id AND r.state = 'queued')""";

  private static final String LETTERS =
      """
      SELECT address FROM campaign_recipients
      WHERE campaign_id = #{campaign} AND state = 'sent' ORDER BY position""";

  private static final String INSERT_TOKEN =
      """
      INSERT INTO opt_out_tokens (token_hash, organisation_id, patient_id, channel, purpose,
        campaign_id, appointment_id, created_at)
      VALUES (#{hash}, #{org}, #{patient}, #{channel}, #{purpose}, #{campaign}, #{appointment},
        #{now})""";

  private static final String LOCK_TOKEN =
      "SELECT * FROM opt_out_tokens WHERE token_hash = #{hash} FOR UPDATE";

  private static final String USE_TOKEN =
      "UPDATE opt_out_tokens SET used_at = #{now} WHERE token_hash = #{hash} AND used_at IS NULL";

  /** A claimed recipient with what its campaign says. */
  record Claimed(
      UUID campaignId,
      UUID patientId,
      UUID organisationId,
      String channel,
      String purpose,
      UUID templateId) {}

  /** The practice as its messages name it. */
  record Practice(String name, String street, String postalCode, String city, String phone) {}

  /** An opt-out link's facts. */
  record OptOutToken(
      UUID organisationId, UUID patientId, String channel, String purpose, OffsetDateTime usedAt) {}

  private final Pool pool;

  CampaignStore(Pool pool) {
    this.pool = pool;
  }

  Future<Void> insertTemplate(SqlClient tx, MessageTemplate t) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", t.id());
    p.put("org", t.organisationId());
    p.put("name", t.name());
    p.put("channel", t.channel());
    p.put("language", t.language());
    p.put("subject", t.subject());
    p.put("body", t.body());
    p.put("by", t.createdBy());
    p.put("now", t.createdAt());
    return SqlTemplate.forUpdate(tx, INSERT_TEMPLATE).execute(p).mapEmpty();
  }

  Future<List<MessageTemplate>> templates(UUID org) {
    return SqlTemplate.forQuery(pool, TEMPLATES)
        .mapTo(MessageTemplate.MAPPER)
        .execute(Map.of("org", org))
        .map(Rows::list);
  }

  Future<MessageTemplate> template(SqlClient client, UUID org, UUID id) {
    return SqlTemplate.forQuery(client, TEMPLATE)
        .mapTo(MessageTemplate.MAPPER)
        .execute(Map.of("org", org, "id", id))
        .map(Rows::firstOrNull);
  }

  Future<Practice> practice(SqlClient client, UUID org) {
    return SqlTemplate.forQuery(client, SETTINGS)
        .execute(Map.of("org", org))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              return new Practice(
                  row.getString("name"),
                  row.getString("street"),
                  row.getString("postal_code"),
                  row.getString("city"),
                  row.getString("practice_phone"));
            });
  }

  Future<Void> setPhone(SqlClient tx, UUID org, String phone, UUID by, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("org", org);
    p.put("phone", phone);
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, SET_PHONE).execute(p).mapEmpty();
  }

  Future<List<Campaign>> campaigns(UUID org) {
    return SqlTemplate.forQuery(pool, CAMPAIGNS)
        .mapTo(Campaign.MAPPER)
        .execute(Map.of("org", org))
        .map(Rows::list);
  }

  Future<Campaign> campaign(SqlClient client, UUID org, UUID id) {
    return SqlTemplate.forQuery(client, CAMPAIGN)
        .mapTo(Campaign.MAPPER)
        .execute(Map.of("org", org, "id", id))
        .map(Rows::firstOrNull);
  }

  Future<Boolean> lockCampaign(SqlClient tx, UUID org, UUID id) {
    return SqlTemplate.forQuery(tx, LOCK_CAMPAIGN)
        .execute(Map.of("org", org, "id", id))
        .map(rows -> rows.size() == 1);
  }

  Future<Void> insertCampaign(
      SqlClient tx,
      UUID id,
      UUID org,
      String name,
      String channel,
      String purpose,
      UUID template,
      UUID by,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", id);
    p.put("org", org);
    p.put("name", name);
    p.put("channel", channel);
    p.put("purpose", purpose);
    p.put("template", template);
    p.put("by", by);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, INSERT_CAMPAIGN).execute(p).mapEmpty();
  }

  Future<List<UUID>> ownPatients(SqlClient client, UUID org, Collection<UUID> ids) {
    return SqlTemplate.forQuery(client, OWN_PATIENTS)
        .execute(Map.of("org", org, "ids", ids.toArray(new UUID[0])))
        .map(rows -> ids(rows, "id"));
  }

  Future<List<UUID>> byBirthday(SqlClient client, UUID org, String from, String to, int limit) {
    return SqlTemplate.forQuery(client, BY_BIRTHDAY)
        .execute(Map.of("org", org, "from", from, "to", to, "limit", limit))
        .map(rows -> ids(rows, "id"));
  }

  Future<List<UUID>> allPatients(SqlClient client, UUID org, int limit) {
    return SqlTemplate.forQuery(client, ALL_PATIENTS)
        .execute(Map.of("org", org, "limit", limit))
        .map(rows -> ids(rows, "id"));
  }

  Future<List<UUID>> listed(SqlClient client, UUID campaign) {
    return SqlTemplate.forQuery(client, LISTED_IDS)
        .execute(Map.of("campaign", campaign))
        .map(rows -> ids(rows, "patient_id"));
  }

  Future<Integer> addRecipients(SqlClient tx, UUID campaign, List<UUID> ids, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, ADD_RECIPIENTS)
        .execute(Map.of("campaign", campaign, "ids", ids.toArray(new UUID[0]), "now", now))
        .map(r -> r.rowCount());
  }

  /** The patients' contact facts by id, in the order asked (unknown ids left out). */
  Future<Map<UUID, PatientContact>> contacts(SqlClient client, Collection<UUID> ids) {
    return SqlTemplate.forQuery(client, CONTACTS)
        .mapTo(PatientContact.MAPPER)
        .execute(Map.of("ids", ids.toArray(new UUID[0])))
        .map(
            rows -> {
              Map<UUID, PatientContact> byId = new HashMap<>();
              rows.forEach(c -> byId.put(c.id(), c));
              Map<UUID, PatientContact> ordered = new LinkedHashMap<>();
              for (UUID id : ids) {
                if (byId.containsKey(id)) {
                  ordered.put(id, byId.get(id));
                }
              }
              return ordered;
            });
  }

  /**
   * Share-locks the patients for the rest of the transaction: a withdrawal (which locks the patient
   * for update) waits until this send commits, or is seen by it.
   */
  Future<Void> lockPatients(SqlClient tx, Collection<UUID> ids) {
    return SqlTemplate.forQuery(tx, LOCK_PATIENTS)
        .execute(Map.of("ids", ids.toArray(new UUID[0])))
        .mapEmpty();
  }

  Future<List<Recipient>> recipients(SqlClient client, UUID campaign) {
    return SqlTemplate.forQuery(client, RECIPIENTS)
        .mapTo(Recipient.MAPPER)
        .execute(Map.of("campaign", campaign))
        .map(Rows::list);
  }

  Future<Void> start(
      SqlClient tx, UUID campaign, Collection<UUID> selected, UUID by, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, SELECT_FOR_SENDING)
        .execute(Map.of("campaign", campaign, "ids", selected.toArray(new UUID[0]), "now", now))
        .compose(
            done ->
                SqlTemplate.forUpdate(tx, START)
                    .execute(Map.of("id", campaign, "by", by, "now", now)))
        .mapEmpty();
  }

  Future<List<Claimed>> claim(SqlClient tx, int limit) {
    return SqlTemplate.forQuery(tx, CLAIM)
        .execute(Map.of("limit", limit))
        .map(
            rows -> {
              List<Claimed> claimed = new ArrayList<>();
              for (Row row : rows) {
                claimed.add(
                    new Claimed(
                        row.getUUID("campaign_id"),
                        row.getUUID("patient_id"),
                        row.getUUID("organisation_id"),
                        row.getString("channel"),
                        row.getString("purpose"),
                        row.getUUID("template_id")));
              }
              return claimed;
            });
  }

  Future<Void> mark(
      SqlClient tx,
      UUID campaign,
      UUID patient,
      String state,
      String reason,
      String address,
      Long outboxId,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("campaign", campaign);
    p.put("patient", patient);
    p.put("state", state);
    p.put("reason", reason);
    p.put("address", address);
    p.put("outbox", outboxId);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, MARK)
        .execute(p)
        .map(
            r -> {
              if (r.rowCount() != 1) {
                throw new IllegalStateException("recipient no longer queued: " + patient);
              }
              return null;
            });
  }

  Future<Void> finish(SqlClient tx, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, FINISH).execute(Map.of("now", now)).mapEmpty();
  }

  Future<List<String>> letterAddresses(SqlClient client, UUID campaign) {
    return SqlTemplate.forQuery(client, LETTERS)
        .execute(Map.of("campaign", campaign))
        .map(
            rows -> {
              List<String> addresses = new ArrayList<>();
              rows.forEach(row -> addresses.add(row.getString("address")));
              return addresses;
            });
  }

  Future<Void> insertToken(
      SqlClient tx,
      byte[] hash,
      UUID org,
      UUID patient,
      String channel,
      String purpose,
      UUID campaign,
      UUID appointment,
      OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("appointment", appointment);
    p.put("hash", io.vertx.core.buffer.Buffer.buffer(hash));
    p.put("org", org);
    p.put("patient", patient);
    p.put("channel", channel);
    p.put("purpose", purpose);
    p.put("campaign", campaign);
    p.put("now", now);
    return SqlTemplate.forUpdate(tx, INSERT_TOKEN).execute(p).mapEmpty();
  }

  Future<OptOutToken> lockToken(SqlClient tx, byte[] hash) {
    return SqlTemplate.forQuery(tx, LOCK_TOKEN)
        .execute(Map.of("hash", io.vertx.core.buffer.Buffer.buffer(hash)))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Row row = rows.iterator().next();
              return new OptOutToken(
                  row.getUUID("organisation_id"),
                  row.getUUID("patient_id"),
                  row.getString("channel"),
                  row.getString("purpose"),
                  row.getOffsetDateTime("used_at"));
            });
  }

  Future<Void> useToken(SqlClient tx, byte[] hash, OffsetDateTime now) {
    return SqlTemplate.forUpdate(tx, USE_TOKEN)
        .execute(Map.of("hash", io.vertx.core.buffer.Buffer.buffer(hash), "now", now))
        .mapEmpty();
  }

  private static List<UUID> ids(io.vertx.sqlclient.RowSet<Row> rows, String column) {
    List<UUID> ids = new ArrayList<>();
    rows.forEach(row -> ids.add(row.getUUID(column)));
    return ids;
  }
}
