package org.konsil.server.notifications;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.konsil.server.http.Rows;
import org.konsil.server.http.Times;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells users who are not connected, by e-mail, that a room has an unread message from another
 * organisation or colleague: after a short delay (a connected reader may still read it), at most
 * once per user and room within the throttle interval, never to users who switched it off. The mail
 * names the sending organisation and links to Konsil; it carries no patient data, no room title and
 * no message text.
 */
public final class UnreadNotifier {

  private static final Logger LOG = LoggerFactory.getLogger(UnreadNotifier.class);

  /**
   * Users of active organisations who want mails, are connected to no node, and have in a room of
   * their organisation an unread message from someone else that came after the delay and after
   * their last mail about that room; with the organisation that sent the newest one.
   */
  private static final String UNREAD =
      """
      SELECT u.id AS user_id, u.email, r.id AS room_id,
        (SELECT o.name FROM messages m JOIN organisations o ON o.id = m.sender_org_id
          WHERE m.room_id = r.id AND m.seq > coalesce(mk.seq, 0)
          AND m.sender_user_id IS DISTINCT FROM u.id ORDER BY m.seq DESC LIMIT 1)
          AS from_organisation
      FROM users u JOIN organisations uo ON uo.id = u.organisation_id
      JOIN room_members rm ON rm.organisation_id = u.organisation_id
      JOIN rooms r ON r.id = rm.room_id
      LEFT JOIN patients pt ON pt.id = r.patient_id
      LEFT JOIN read_markers mk ON mk.user_id = u.id AND mk.room_id = r.id
      LEFT JOIN room_notifications n ON n.user_id = u.id AND n.room_id = r.id
      WHERE u.status = 'active' AND uo.status = 'active' AND u.notify_by_email
        AND pt.consent_revoked_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM presence pr JOIN nodes nd ON nd.id = pr.node_id
          WHERE pr.user_id = u.id AND nd.seen_at > now() - interval '%d seconds')
        AND r.last_seq > coalesce(mk.seq, 0) AND r.last_message_at <= #{due}
        AND (n.notified_at IS NULL OR n.notified_at <= #{quiet})
        AND EXISTS (SELECT 1 FROM messages m WHERE m.room_id = r.id
          AND m.seq > coalesce(mk.seq, 0) AND m.kind <> 'system'
          AND m.sender_user_id IS DISTINCT FROM u.id
          AND (n.notified_at IS NULL OR m.sent_at > n.notified_at))
      LIMIT 500"""
          .formatted(Presence.ALIVE.toSeconds());

  private static final String NOTIFIED =
      """
      INSERT INTO room_notifications (user_id, room_id, notified_at)
      VALUES (#{user}, #{room}, #{now})
      ON CONFLICT (user_id, room_id) DO UPDATE SET notified_at = EXCLUDED.notified_at""";

  /** A user to tell about an unread room, and who wrote last. */
  private record Unread(UUID userId, String email, UUID roomId, String fromOrganisation) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final MailOutbox mail;
  private final Presence presence;
  private final Duration delay;
  private final Duration interval;
  private final String publicUrl;
  private final SqlTemplate<Map<String, Object>, RowSet<Unread>> unread;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timerId = -1;

  public UnreadNotifier(
      Vertx vertx,
      Pool pool,
      Clock clock,
      MailOutbox mail,
      Presence presence,
      Duration delay,
      Duration interval,
      String publicUrl) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.mail = mail;
    this.presence = presence;
    this.delay = delay;
    this.interval = interval;
    this.publicUrl = publicUrl;
    this.unread =
        SqlTemplate.forQuery(pool, UNREAD)
            .mapTo(
                row ->
                    new Unread(
                        row.getUUID("user_id"),
                        row.getString("email"),
                        row.getUUID("room_id"),
                        row.getString("from_organisation")));
  }

  public void start(Duration every) {
    timerId = vertx.setPeriodic(every.toMillis(), id -> run());
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** One round; answers how many mails it queued. */
  public Future<Integer> run() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    OffsetDateTime now = Times.now(clock);
    Map<String, Object> p = new HashMap<>();
    p.put("due", Times.at(clock.instant().minus(delay)));
    p.put("quiet", Times.at(clock.instant().minus(interval)));
    return unread
        .execute(p)
        .map(Rows::list)
        .compose(
            rows -> {
              List<Unread> absent =
                  rows.stream().filter(row -> !presence.isConnected(row.userId())).toList();
              Future<Void> chain = Future.succeededFuture();
              for (Unread row : absent) {
                chain = chain.compose(done -> notify(row, now));
              }
              return chain.map(done -> absent.size());
            })
        .onFailure(e -> LOG.warn("notification round failed: {}", e.toString()))
        .eventually(
            () -> {
              running.set(false);
              return Future.succeededFuture();
            });
  }

  private Future<Void> notify(Unread row, OffsetDateTime now) {
    return pool.withTransaction(
        tx ->
            // bound to this transaction, so built per call: a template cannot change its client
            SqlTemplate.forUpdate(tx, NOTIFIED)
                .execute(Map.of("user", row.userId(), "room", row.roomId(), "now", now))
                .compose(done -> mail.enqueue(tx, mailFor(row))));
  }

  private MailMessage mailFor(Unread row) {
    String from = row.fromOrganisation();
    if (from == null) {
      from = "Konsil";
    }
    String text =
        "Guten Tag,\n\nSie haben in Konsil eine neue Nachricht von "
            + from
            + ". Lesen Sie sie hier:\n\n"
            + publicUrl
            + "\n\nDiese E-Mail enthält keine Patientendaten. Benachrichtigungen schalten Sie in"
            + " Konsil unter Ihrem Profil ab.\n\n---\n\nHello,\n\nyou have a new message from "
            + from
            + " in Konsil. Read it here:\n\n"
            + publicUrl
            + "\n\nThis e-mail contains no patient data. You can switch these notifications off"
            + " in your Konsil profile.\n";
    return new MailMessage(row.email(), "Konsil: Neue Nachricht / New message", text);
  }
}
