package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
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
 * Sends the queued recipients of running campaigns, throttled to a number per second. Each round
 * claims recipients in one transaction, checks each one's permission and address again (a
 * withdrawal since the start stops their message), and in that same transaction writes the
 * message's outbox row (or, for letters, nothing more) and the recipient's new state. A crash rolls
 * the round back whole, so after a restart nothing is lost and nothing goes twice.
 */
public final class CampaignSender {

  private static final Logger LOG = LoggerFactory.getLogger(CampaignSender.class);

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final Campaigns campaigns;
  private final ContactPermissions permissions;
  private final MailOutbox mail;
  private final SmsOutbox sms;
  private final OptOuts optOuts;
  private final int perSecond;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timerId = -1;

  public CampaignSender(
      Vertx vertx,
      Pool pool,
      Clock clock,
      Campaigns campaigns,
      ContactPermissions permissions,
      MailOutbox mail,
      SmsOutbox sms,
      OptOuts optOuts,
      int perSecond) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.campaigns = campaigns;
    this.permissions = permissions;
    this.mail = mail;
    this.sms = sms;
    this.optOuts = optOuts;
    this.perSecond = perSecond;
  }

  public void start() {
    timerId = vertx.setPeriodic(1000, id -> round());
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** One round: up to the per-second number of recipients; answers how many it handled. */
  public Future<Integer> round() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    return pool.withTransaction(this::round)
        .onFailure(e -> LOG.warn("campaign round failed: {}", e.toString()))
        .eventually(
            () -> {
              running.set(false);
              return Future.succeededFuture();
            });
  }

  private Future<Integer> round(SqlClient tx) {
    CampaignStore store = campaigns.store();
    OffsetDateTime now = Times.now(clock);
    return store
        .claim(tx, perSecond)
        .compose(
            claimed -> {
              if (claimed.isEmpty()) {
                return store.finish(tx, now).map(0);
              }
              List<UUID> ids =
                  claimed.stream().map(CampaignStore.Claimed::patientId).distinct().toList();
              return store
                  .lockPatients(tx, ids)
                  .compose(locked -> store.contacts(tx, ids))
                  .compose(contacts -> sendAll(tx, store, claimed, contacts, now))
                  .compose(done -> store.finish(tx, now))
                  .map(claimed.size());
            });
  }

  private Future<Void> sendAll(
      SqlClient tx,
      CampaignStore store,
      List<CampaignStore.Claimed> claimed,
      Map<UUID, PatientContact> contacts,
      OffsetDateTime now) {
    Map<UUID, List<CampaignStore.Claimed>> byCampaign = new HashMap<>();
    for (CampaignStore.Claimed c : claimed) {
      byCampaign.computeIfAbsent(c.campaignId(), k -> new ArrayList<>()).add(c);
    }
    Future<Void> chain = Future.succeededFuture();
    for (List<CampaignStore.Claimed> group : byCampaign.values()) {
      chain = chain.compose(done -> sendCampaign(tx, store, group, contacts, now));
    }
    return chain;
  }

  private Future<Void> sendCampaign(
      SqlClient tx,
      CampaignStore store,
      List<CampaignStore.Claimed> group,
      Map<UUID, PatientContact> contacts,
      OffsetDateTime now) {
    CampaignStore.Claimed first = group.get(0);
    List<UUID> ids = group.stream().map(CampaignStore.Claimed::patientId).toList();
    return store
        .template(tx, first.organisationId(), first.templateId())
        .compose(
            template ->
                store
                    .practice(tx, first.organisationId())
                    .compose(
                        practice ->
                            permissions
                                .current(tx, ids, first.channel(), first.purpose())
                                .compose(
                                    current -> {
                                      Future<Void> chain = Future.succeededFuture();
                                      for (CampaignStore.Claimed c : group) {
                                        chain =
                                            chain.compose(
                                                done ->
                                                    sendOne(
                                                        tx,
                                                        store,
                                                        c,
                                                        template,
                                                        practice,
                                                        contacts.get(c.patientId()),
                                                        current.get(c.patientId()),
                                                        now));
                                      }
                                      return chain;
                                    })));
  }

  private Future<Void> sendOne(
      SqlClient tx,
      CampaignStore store,
      CampaignStore.Claimed c,
      MessageTemplate template,
      CampaignStore.Practice practice,
      PatientContact contact,
      ContactPermission newest,
      OffsetDateTime now) {
    String reason =
        contact == null
            ? "no_permission"
            : !campaigns.available(c.channel())
                ? "channel_unavailable"
                : contact.refusal(c.channel(), newest);
    if (reason != null) {
      return store.mark(tx, c.campaignId(), c.patientId(), "failed", reason, null, null, now);
    }
    String address = contact.address(c.channel());
    if ("letter".equals(c.channel())) {
      return store.mark(tx, c.campaignId(), c.patientId(), "sent", null, address, null, now);
    }
    String token = optOuts.newToken();
    MessageText text = MessageText.render(template, practice, contact, optOuts.link(token));
    return optOuts
        .record(
            tx, token, c.organisationId(), c.patientId(), c.channel(), c.purpose(), c.campaignId())
        .compose(
            recorded ->
                "sms".equals(c.channel())
                    ? sms.enqueue(tx, c.organisationId(), address, text.text(), "campaign")
                    : mail.enqueueReturningId(
                        tx, new MailMessage(address, text.subject(), text.text())))
        .compose(
            outboxId ->
                store.mark(
                    tx, c.campaignId(), c.patientId(), "sent", null, address, outboxId, now));
  }
}
