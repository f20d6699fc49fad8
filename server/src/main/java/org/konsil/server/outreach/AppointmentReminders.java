package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.konsil.server.http.Times;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.notifications.SmsOutbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each due, uncancelled appointment exactly one reminder, on every node. A round is one
 * transaction: it locks the due appointments (skipping those another node holds), share-locks their
 * patients, checks each one's permission for the channel and {@code appointment_reminder} again,
 * writes the reminder's outbox row and claims the appointment with a conditional update ({@code
 * reminded_at IS NULL}); without permission the appointment is marked skipped with the reason. A
 * crash rolls the round back whole: nothing lost, nothing twice.
 */
public final class AppointmentReminders {

  private static final Logger LOG = LoggerFactory.getLogger(AppointmentReminders.class);
  static final String PURPOSE = "appointment_reminder";
  private static final int BATCH = 50;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final Campaigns campaigns;
  private final Appointments appointments;
  private final ContactPermissions permissions;
  private final MailOutbox mail;
  private final SmsOutbox sms;
  private final OptOuts optOuts;
  private final Duration period;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timerId = -1;

  public AppointmentReminders(
      Vertx vertx,
      Pool pool,
      Clock clock,
      Campaigns campaigns,
      Appointments appointments,
      ContactPermissions permissions,
      MailOutbox mail,
      SmsOutbox sms,
      OptOuts optOuts,
      Duration period) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.campaigns = campaigns;
    this.appointments = appointments;
    this.permissions = permissions;
    this.mail = mail;
    this.sms = sms;
    this.optOuts = optOuts;
    this.period = period;
  }

  public void start() {
    timerId = vertx.setPeriodic(period.toMillis(), id -> round());
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** One round: up to a batch of due appointments; answers how many it handled. */
  public Future<Integer> round() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    return pool.withTransaction(this::round)
        .onFailure(e -> LOG.warn("appointment reminder round failed: {}", e.toString()))
        .eventually(
            () -> {
              running.set(false);
              return Future.succeededFuture();
            });
  }

  private Future<Integer> round(SqlClient tx) {
    AppointmentStore store = appointments.store();
    CampaignStore campaignStore = campaigns.store();
    OffsetDateTime now = Times.now(clock);
    return store
        .due(tx, now, BATCH)
        .compose(
            due -> {
              if (due.isEmpty()) {
                return Future.succeededFuture(0);
              }
              List<UUID> ids =
                  due.stream().map(AppointmentStore.Due::patientId).distinct().toList();
              Map<UUID, MessageTemplate> templates = new HashMap<>();
              Map<UUID, CampaignStore.Practice> practices = new HashMap<>();
              return campaignStore
                  .lockPatients(tx, ids)
                  .compose(locked -> campaignStore.contacts(tx, ids))
                  .compose(
                      contacts -> {
                        Future<Void> chain = Future.succeededFuture();
                        for (AppointmentStore.Due d : due) {
                          chain =
                              chain.compose(
                                  done ->
                                      remind(
                                          tx,
                                          store,
                                          campaignStore,
                                          d,
                                          contacts.get(d.patientId()),
                                          templates,
                                          practices,
                                          now));
                        }
                        return chain;
                      })
                  .map(due.size());
            });
  }

  private Future<Void> remind(
      SqlClient tx,
      AppointmentStore store,
      CampaignStore campaignStore,
      AppointmentStore.Due d,
      PatientContact contact,
      Map<UUID, MessageTemplate> templates,
      Map<UUID, CampaignStore.Practice> practices,
      OffsetDateTime now) {
    Future<MessageTemplate> template =
        templates.containsKey(d.templateId())
            ? Future.succeededFuture(templates.get(d.templateId()))
            : campaignStore
                .template(tx, d.organisationId(), d.templateId())
                .map(
                    t -> {
                      templates.put(d.templateId(), t);
                      return t;
                    });
    Future<CampaignStore.Practice> practice =
        practices.containsKey(d.organisationId())
            ? Future.succeededFuture(practices.get(d.organisationId()))
            : campaignStore
                .practice(tx, d.organisationId())
                .map(
                    p -> {
                      practices.put(d.organisationId(), p);
                      return p;
                    });
    return template.compose(
        t ->
            practice.compose(
                p ->
                    permissions
                        .current(tx, List.of(d.patientId()), d.channel(), PURPOSE)
                        .compose(
                            current -> {
                              String reason =
                                  contact == null
                                      ? "no_permission"
                                      : !campaigns.available(d.channel())
                                          ? "channel_unavailable"
                                          : t == null || !t.channel().equals(d.channel())
                                              ? "no_template"
                                              : contact.refusal(
                                                  d.channel(), current.get(d.patientId()));
                              if (reason != null) {
                                return store.mark(
                                    tx, d.id(), "skipped", reason, d.channel(), null, now);
                              }
                              return send(tx, store, d, contact, t, p, now);
                            })));
  }

  private Future<Void> send(
      SqlClient tx,
      AppointmentStore store,
      AppointmentStore.Due d,
      PatientContact contact,
      MessageTemplate template,
      CampaignStore.Practice practice,
      OffsetDateTime now) {
    String address = contact.address(d.channel());
    String token = optOuts.newToken();
    MessageText text =
        MessageText.render(
            template,
            practice,
            contact,
            optOuts.link(token),
            Appointments.macros(d.startsAt(), template.language()));
    return optOuts
        .recordForAppointment(tx, token, d.organisationId(), d.patientId(), d.channel(), d.id())
        .compose(
            recorded ->
                "sms".equals(d.channel())
                    ? sms.enqueue(tx, d.organisationId(), address, text.text(), PURPOSE)
                    : mail.enqueueReturningId(
                        tx, new MailMessage(address, text.subject(), text.text())))
        .compose(outboxId -> store.mark(tx, d.id(), "sent", null, d.channel(), outboxId, now));
  }
}
