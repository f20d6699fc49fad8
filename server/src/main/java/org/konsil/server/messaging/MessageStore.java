package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.konsil.server.http.KeptStatements;
import org.konsil.server.http.Rows;

/** SQL for storing messages under their room's lock and reading them back by sequence number. */
final class MessageStore {

  /**
   * The templates kept for each pool the store was given: parsing a template's named parameters (a
   * regular expression over the whole statement) cost more than a small batch's statement itself. A
   * transaction is another client and gets a template of its own each time.
   */
  private final Map<Pool, Map<String, SqlTemplate<Map<String, Object>, RowSet<Row>>>> kept =
      new IdentityHashMap<>();

  /** Keeps the templates of statements that run on these pools themselves (none: keeps none). */
  MessageStore(Pool... pools) {
    for (Pool pool : pools) {
      kept.put(pool, new ConcurrentHashMap<>());
    }
  }

  /** The statement's template for this client: parsed once for a kept pool, each time otherwise. */
  SqlTemplate<Map<String, Object>, RowSet<Row>> query(SqlClient client, String sql) {
    Map<String, SqlTemplate<Map<String, Object>, RowSet<Row>>> templates = kept.get(client);
    if (templates == null) {
      return SqlTemplate.forQuery(client, sql);
    }
    return templates.computeIfAbsent(sql, statement -> SqlTemplate.forQuery(client, statement));
  }

  private static final String MESSAGE_SELECT =
      """
      SELECT m.room_id, m.seq, m.id, m.kind, m.content, m.sent_at, m.client_msg_id,
             m.sender_user_id, u.display_name AS sender_name, m.sender_org_id,
             o.name AS sender_org_name,
             (pt.consent_revoked_at IS NOT NULL AND m.kind <> 'system') AS masked,
             m.corrects, q.id AS q_id, q.seq AS q_seq, q.kind AS q_kind,
             qu.display_name AS q_sender,
             left(coalesce(qc.content, q.content), %d) AS q_excerpt,
             c.id AS c_id, c.seq AS c_seq, c.content AS c_content, c.sent_at AS c_sent_at,
             m.sender_device, e.message_type AS envelope_type, e.ciphertext AS envelope_ciphertext
        FROM messages m LEFT JOIN users u ON u.id = m.sender_user_id
        LEFT JOIN organisations o ON o.id = m.sender_org_id
        JOIN rooms r ON r.id = m.room_id LEFT JOIN patients pt ON pt.id = r.patient_id
        LEFT JOIN messages q ON q.id = m.reply_to
        LEFT JOIN users qu ON qu.id = q.sender_user_id
        LEFT JOIN LATERAL (
          SELECT x.content FROM messages x WHERE x.corrects = q.id ORDER BY x.seq DESC LIMIT 1
        ) qc ON true
        LEFT JOIN LATERAL (
          SELECT x.id, x.seq, x.content, x.sent_at FROM messages x
           WHERE x.corrects = m.id ORDER BY x.seq DESC LIMIT 1
        ) c ON true
        LEFT JOIN message_envelopes e ON e.room_id = m.room_id AND e.seq = m.seq
             AND e.recipient_user_id = #{reader} AND e.recipient_device = #{readerDevice}
      """
          .formatted(Message.Quote.EXCERPT);

  private static final String BY_CLIENT_MSG_ID =
      MESSAGE_SELECT + "WHERE m.sender_user_id = #{sender} AND m.client_msg_id = #{cmid}";

  private static final String RANGE =
      MESSAGE_SELECT
          + """
          WHERE m.room_id = #{room} AND m.seq > #{after} AND m.seq <= #{upTo}
          ORDER BY m.seq LIMIT #{limit}""";

  private static final String BEFORE =
      MESSAGE_SELECT
          + """
          WHERE m.room_id = #{room} AND m.seq < #{before}
          ORDER BY m.seq DESC LIMIT #{limit}""";

  private static final String LAST_SEQ = "SELECT last_seq FROM rooms WHERE id = #{room}";

  private static final String PATIENT_OF =
      """
      SELECT p.id, p.organisation_id FROM rooms r JOIN patients p ON p.id = r.patient_id
       WHERE r.id = #{room}""";

  /**
   * The one statement that stores messages, one or many: text from the REST API, the WebSocket and
   * the batcher, attachments, and system notices. It checks each message like a send on its own
   * (the sender's organisation is a member, the room's patient has not revoked consent, the sender
   * has not stored this client id before, no invitations wait for the room's first message unless
   * the caller handles them), numbers each room's messages in the order given, inserts them and
   * moves each room's sequence once. It answers one row per message, in the order given.
   *
   * <p>The patients' rows are locked (shared) before the rooms' rows, each in id order: the order
   * in which a revocation takes them, so neither waits for the other in a circle, and two such
   * statements never do. A revocation is the patient's {@code consent_revoked_at} and nothing else;
   * a statement that waited for the patient's lock reads the row again once it is granted, so a
   * revocation committed meanwhile is seen. A room that retention is removing takes no member's
   * message, read from the locked row for the same reason. System notices are Konsil's own: they
   * need no membership and are stored in a revoked patient's rooms, and in a room being removed
   * (where they go with it), too. An encrypted room takes only encrypted messages (and notices), a
   * plain room no encrypted ones. The message a message quotes or corrects is checked before
   * ({@link MessageRelations}) and stored as given.
   *
   * <p>Up to {@link #KEPT_UP_TO} messages it runs as {@link #STORE}, which every connection keeps
   * prepared ({@link KeptStatements}): planning it took as long as running it for a few messages.
   * Its plan must therefore not depend on the size of the tables: the earlier message under the
   * same client id is looked up by index ({@code LATERAL}), not joined, which a plan made on a
   * small table did with a full scan ({@code MessageStorePlanTest}). A larger batch runs as this
   * text, planned for the batch at hand: there planning is shared by many messages, and the plan
   * knows how many.
   */
  static final String STORE_MANY =
      """
      WITH input AS (
        SELECT * FROM unnest(#{rooms}::uuid[], #{ids}::uuid[], #{kinds}::text[],
                             #{contents}::text[], #{sentAts}::timestamptz[], #{cmids}::uuid[],
                             #{senders}::uuid[], #{orgs}::uuid[], #{replyTos}::uuid[],
                             #{corrects}::uuid[], #{devices}::smallint[])
          WITH ORDINALITY
            AS i(room, id, kind, content, sent_at, cmid, sender, org, reply_to, corrects, device,
                 ord)),
      patient AS MATERIALIZED (
        SELECT p.id, p.consent_revoked_at FROM patients p
         WHERE p.id IN (SELECT r.patient_id FROM rooms r WHERE r.id IN (SELECT room FROM input))
         ORDER BY p.id FOR SHARE),
      locked AS MATERIALIZED (
        SELECT r.id, r.last_seq, r.patient_id, r.pending_invitations, r.encrypted,
               r.removing_since FROM rooms r
         WHERE r.id IN (SELECT room FROM input)
           AND (SELECT count(*) FROM patient) >= 0 -- after the patient locks
         ORDER BY r.id FOR UPDATE),
      checked AS (
        SELECT i.*, l.last_seq,
               l.id IS NOT NULL AND (i.kind = 'system' OR l.removing_since IS NULL AND EXISTS (
                 SELECT 1 FROM room_members rm
                  WHERE rm.room_id = i.room AND rm.organisation_id = i.org)) AS member,
               coalesce(pt.consent_revoked_at IS NOT NULL, false) AS revoked,
               coalesce(l.pending_invitations, 0) AS pending,
               coalesce(l.encrypted, false) AS encrypted,
               e.room_id AS earlier_room, e.seq AS earlier_seq, e.id AS earlier_id,
               e.kind AS earlier_kind, e.content AS earlier_content,
               e.sent_at AS earlier_sent_at
          FROM input i LEFT JOIN locked l ON l.id = i.room
          LEFT JOIN patient pt ON pt.id = l.patient_id
          LEFT JOIN LATERAL (
            SELECT m.room_id, m.seq, m.id, m.kind, m.content, m.sent_at FROM messages m
             WHERE m.sender_user_id = i.sender AND m.client_msg_id = i.cmid LIMIT 1) e ON true),
      numbered AS (
        SELECT c.*, c.last_seq + row_number() OVER (PARTITION BY c.room ORDER BY c.ord) AS seq
          FROM checked c
         WHERE c.member AND c.earlier_room IS NULL AND (NOT c.revoked OR c.kind = 'system')
           AND (c.pending = 0 OR #{whileInvitationsWait}::boolean)
           AND (c.kind = 'system' OR (c.kind = 'encrypted') = c.encrypted)),
      stored AS (
        INSERT INTO messages (room_id, seq, id, sender_user_id, sender_org_id, client_msg_id,
                              kind, content, sent_at, reply_to, corrects, sender_device)
        SELECT room, seq, id, sender, org, cmid, kind, content, sent_at, reply_to, corrects,
               device
          FROM numbered),
      moved AS (
        UPDATE rooms r SET last_seq = s.top, last_message_at = s.at
          FROM (SELECT room, max(seq) AS top, max(sent_at) AS at FROM numbered GROUP BY room) s
         WHERE r.id = s.room)
      SELECT c.member, c.revoked, c.pending, c.encrypted, coalesce(n.seq, 0) AS seq,
             c.earlier_room, c.earlier_seq, c.earlier_id, c.earlier_kind, c.earlier_content,
             c.earlier_sent_at
        FROM checked c LEFT JOIN numbered n ON n.ord = c.ord
       ORDER BY c.ord
      """;

  /** {@link #STORE_MANY} as every connection keeps it prepared, for a few messages at a time. */
  static final String STORE = KeptStatements.MARK + STORE_MANY;

  /** The most messages a statement stores as {@link #STORE}. */
  static final int KEPT_UP_TO = 8;

  /**
   * What the statement found for one message: whether the sender's organisation is a member,
   * whether the room's patient revoked consent, how many invitations wait for the room's first
   * message, whether the room is encrypted, the sequence number it was stored under (0 when it was
   * not stored), and a message the sender stored earlier under the same client id.
   */
  record Outcome(
      boolean member,
      boolean revoked,
      int pendingInvitations,
      boolean encrypted,
      long seq,
      Message earlier) {

    boolean stored() {
      return seq > 0;
    }
  }

  /**
   * Stores the messages (their {@code seq} is ignored) with {@link #STORE} (up to {@link
   * #KEPT_UP_TO}) or {@link #STORE_MANY}; the outcomes come in the order of the messages. With
   * {@code whileInvitationsWait} a message is stored into a room whose invitations wait for its
   * first message, and the caller sends them in the same transaction (or, for a system notice,
   * leaves them waiting); without it such a message is not stored and its outcome says that
   * invitations wait.
   */
  Future<List<Outcome>> store(
      SqlClient client, List<Message> messages, boolean whileInvitationsWait) {
    int n = messages.size();
    UUID[] rooms = new UUID[n];
    UUID[] ids = new UUID[n];
    String[] kinds = new String[n];
    String[] contents = new String[n];
    OffsetDateTime[] sentAts = new OffsetDateTime[n];
    UUID[] clientMsgIds = new UUID[n];
    UUID[] senders = new UUID[n];
    UUID[] orgs = new UUID[n];
    UUID[] replyTos = new UUID[n];
    UUID[] corrects = new UUID[n];
    Short[] devices = new Short[n];
    for (int i = 0; i < n; i++) {
      Message m = messages.get(i);
      rooms[i] = m.room();
      ids[i] = m.id();
      kinds[i] = m.kind();
      contents[i] = m.content();
      sentAts[i] = m.sentAt();
      clientMsgIds[i] = m.clientMsgId();
      senders[i] = m.senderId();
      orgs[i] = m.senderOrganisationId();
      Message.Relations relations = m.relations();
      replyTos[i] = relations.replyTo() == null ? null : relations.replyTo().id();
      corrects[i] = relations.corrects();
      devices[i] = m.senderDevice() == null ? null : m.senderDevice().shortValue();
    }
    Map<String, Object> p = new HashMap<>();
    p.put("rooms", rooms);
    p.put("ids", ids);
    p.put("kinds", kinds);
    p.put("contents", contents);
    p.put("sentAts", sentAts);
    p.put("cmids", clientMsgIds);
    p.put("senders", senders);
    p.put("orgs", orgs);
    p.put("replyTos", replyTos);
    p.put("corrects", corrects);
    p.put("devices", devices);
    p.put("whileInvitationsWait", whileInvitationsWait);
    return query(client, n <= KEPT_UP_TO ? STORE : STORE_MANY)
        .execute(p)
        .map(
            rows -> {
              List<Outcome> outcomes = new ArrayList<>(n);
              for (Row row : rows) {
                outcomes.add(outcome(row, messages.get(outcomes.size())));
              }
              if (outcomes.size() != n) {
                throw new IllegalStateException(n + " messages answered " + outcomes.size());
              }
              return outcomes;
            });
  }

  private static Outcome outcome(Row row, Message m) {
    UUID earlierRoom = row.getUUID("earlier_room");
    Message earlier =
        earlierRoom == null
            ? null
            : new Message(
                earlierRoom,
                row.getLong("earlier_seq"),
                row.getUUID("earlier_id"),
                row.getString("earlier_kind"),
                row.getString("earlier_content"),
                row.getOffsetDateTime("earlier_sent_at"),
                m.clientMsgId(),
                m.senderId(),
                m.senderName(),
                m.senderOrganisationId(),
                m.senderOrganisationName(),
                false);
    return new Outcome(
        row.getBoolean("member"),
        row.getBoolean("revoked"),
        row.getInteger("pending"),
        row.getBoolean("encrypted"),
        row.getLong("seq"),
        earlier);
  }

  /** The message a sender stored earlier under this client id, or null. */
  Future<Message> byClientMsgId(SqlClient client, UUID sender, UUID clientMsgId) {
    Map<String, Object> p = reading(Reader.NOBODY);
    p.put("sender", sender);
    p.put("cmid", clientMsgId);
    return query(client, BY_CLIENT_MSG_ID).mapTo(Message.MAPPER).execute(p).map(Rows::firstOrNull);
  }

  /**
   * Who reads stored messages: in an encrypted room a device gets its own envelope of each message
   * with them; a reader without a device (or {@link #NOBODY}) gets none.
   */
  record Reader(UUID user, Integer device) {
    static final Reader NOBODY = new Reader(null, null);
  }

  private static Map<String, Object> reading(Reader reader) {
    Map<String, Object> p = new HashMap<>();
    p.put("reader", reader.device() == null ? null : reader.user());
    p.put("readerDevice", reader.device() == null ? null : reader.device().shortValue());
    return p;
  }

  Future<Long> lastSeq(SqlClient client, UUID room) {
    return query(client, LAST_SEQ)
        .execute(Map.of("room", room))
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong("last_seq"));
  }

  /** A room's patient and the patient's organisation. */
  record RoomPatient(UUID id, UUID organisationId) {}

  /** The room's patient and the patient's organisation, or null for a general room. */
  Future<RoomPatient> patientOf(SqlClient client, UUID room) {
    return query(client, PATIENT_OF)
        .mapTo(row -> new RoomPatient(row.getUUID("id"), row.getUUID("organisation_id")))
        .execute(Map.of("room", room))
        .map(Rows::firstOrNull);
  }

  /** Messages with after < seq <= upTo, oldest first, at most limit. */
  Future<List<Message>> range(
      SqlClient client, UUID room, long after, long upTo, int limit, Reader reader) {
    Map<String, Object> p = reading(reader);
    p.put("room", room);
    p.put("after", after);
    p.put("upTo", upTo);
    p.put("limit", limit);
    return query(client, RANGE).mapTo(Message.MAPPER).execute(p).map(Rows::list);
  }

  /** The newest messages with seq < before, newest first, at most limit. */
  Future<List<Message>> before(SqlClient client, UUID room, long before, int limit, Reader reader) {
    Map<String, Object> p = reading(reader);
    p.put("room", room);
    p.put("before", before);
    p.put("limit", limit);
    return query(client, BEFORE).mapTo(Message.MAPPER).execute(p).map(Rows::list);
  }
}
