package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * Messages to many patients: templates with harmless macros, campaigns that pick recipients, the
 * review list that says who may be written to and why not, and the start of sending, which the
 * server refuses for any ticked patient who is not allowed. {@link CampaignSender} sends.
 */
public final class Campaigns {

  /** The most patients one campaign may list. */
  public static final int MAX_RECIPIENTS = 10_000;

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final ContactPermissions permissions;
  private final Set<String> channels;
  private final CampaignStore store;
  private final OutreachProfileStore profiles = new OutreachProfileStore();

  /**
   * @param channels the channels with a transport that reaches patients (letters always)
   */
  public Campaigns(
      Vertx vertx,
      Pool pool,
      Clock clock,
      AuditLog audit,
      ContactPermissions permissions,
      Set<String> channels) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
    this.permissions = permissions;
    this.channels = Set.copyOf(channels);
    this.store = new CampaignStore(pool);
  }

  CampaignStore store() {
    return store;
  }

  boolean available(String channel) {
    return channels.contains(channel);
  }

  // ---- settings and templates ----

  public Future<JsonObject> settings(AuthenticatedUser user) {
    return store
        .practice(pool, user.organisationId())
        .map(p -> new JsonObject().put("practiceName", p.name()).put("practicePhone", p.phone()));
  }

  public Future<JsonObject> setPhone(AuthenticatedUser user, String phone) {
    user.requireAdmin();
    return pool.withTransaction(
            tx ->
                store
                    .setPhone(tx, user.organisationId(), phone, user.userId(), Times.now(clock))
                    .compose(
                        done ->
                            audit.record(
                                tx, AuditEvent.by(user).success("outreach.settings_changed"))))
        .compose(done -> settings(user));
  }

  /** Saves a template after checking its macros: a forbidden one is refused by name. */
  public Future<MessageTemplate> createTemplate(
      AuthenticatedUser user,
      String name,
      String channel,
      String language,
      String subject,
      String body) {
    if (subject != null) {
      if (!"email".equals(channel) && !"letter".equals(channel)) {
        throw ApiException.validation("Only e-mails and letters have a 'subject'.");
      }
      Macros.check("subject", subject, Macros.SUBJECT, channel);
    }
    Macros.check("body", body, Macros.BY_CHANNEL.get(channel), channel);
    if ("sms".equals(channel) && body.length() > 320) {
      throw ApiException.validation(
          "An SMS text may have at most 320 characters (the opt-out link is added).");
    }
    if ("letter".equals(channel) && (body.length() > 2000 || body.split("\n", -1).length > 25)) {
      throw ApiException.validation(
          "A letter's text may have at most 2000 characters and 25 lines (one page).");
    }
    MessageTemplate template =
        new MessageTemplate(
            UUID.randomUUID(),
            user.organisationId(),
            name,
            channel,
            language,
            subject,
            body,
            user.userId(),
            Times.now(clock));
    return pool.withTransaction(
        tx ->
            store
                .insertTemplate(tx, template)
                .compose(
                    done ->
                        audit.record(
                            tx,
                            AuditEvent.by(user)
                                .on("message_template", template.id())
                                .with("channel", channel)
                                .success("message_template.created")))
                .map(template));
  }

  public Future<List<MessageTemplate>> templates(AuthenticatedUser user) {
    return store.templates(user.organisationId());
  }

  // ---- campaigns ----

  public Future<Campaign> create(
      AuthenticatedUser user, String name, String channel, String purpose, UUID templateId) {
    requireChannel(channel);
    UUID id = UUID.randomUUID();
    return permissions
        .purposes(user)
        .compose(
            purposes -> {
              if (purposes.stream().noneMatch(p -> p.code().equals(purpose))) {
                throw ApiException.validation(
                    "'" + purpose + "' is not one of the organisation's purposes.");
              }
              return pool.withTransaction(
                  tx ->
                      store
                          .template(tx, user.organisationId(), templateId)
                          .compose(
                              template -> {
                                if (template == null) {
                                  throw ApiException.notFound("No such template.");
                                }
                                if (!template.channel().equals(channel)) {
                                  throw ApiException.validation(
                                      "The template is for "
                                          + template.channel()
                                          + ", not "
                                          + channel
                                          + ".");
                                }
                                return store.insertCampaign(
                                    tx,
                                    id,
                                    user.organisationId(),
                                    name,
                                    channel,
                                    purpose,
                                    templateId,
                                    user.userId(),
                                    Times.now(clock));
                              })
                          .compose(
                              done ->
                                  audit.record(
                                      tx,
                                      AuditEvent.by(user)
                                          .on("campaign", id)
                                          .with("channel", channel)
                                          .with("purpose", purpose)
                                          .success("campaign.created")))
                          .compose(done -> store.campaign(tx, user.organisationId(), id)));
            });
  }

  public Future<List<Campaign>> list(AuthenticatedUser user) {
    return store.campaigns(user.organisationId());
  }

  public Future<Campaign> view(AuthenticatedUser user, UUID id) {
    return own(pool, user, id);
  }

  private Future<Campaign> own(SqlClient client, AuthenticatedUser user, UUID id) {
    return store
        .campaign(client, user.organisationId(), id)
        .map(
            campaign -> {
              if (campaign == null) {
                throw ApiException.notFound("No such campaign.");
              }
              return campaign;
            });
  }

  /**
   * How recipients are picked: ids (from a list or a CSV) or a filter over the patient list (a
   * birthday range, a tag, a recall due by a day, or everybody).
   */
  public sealed interface Selection {
    record Ids(List<UUID> ids) implements Selection {}

    record Csv(String text) implements Selection {}

    record Birthdays(String from, String to) implements Selection {}

    record AllPatients() implements Selection {}

    /** Patients with this tag, in any capitalisation. */
    record Tag(String tag) implements Selection {}

    /** Patients whose recall is due on or before this day. */
    record RecallDueBy(LocalDate day) implements Selection {}
  }

  /** Adds patients to a draft campaign's list; a CSV with any bad line adds nothing. */
  public Future<Campaign> addRecipients(AuthenticatedUser user, UUID id, Selection selection) {
    return pool.withTransaction(
        tx ->
            store
                .lockCampaign(tx, user.organisationId(), id)
                .compose(
                    found ->
                        found
                            ? own(tx, user, id)
                            : Future.failedFuture(ApiException.notFound("No such campaign.")))
                .compose(
                    campaign -> {
                      if (!"draft".equals(campaign.status())) {
                        throw notDraft();
                      }
                      return store.listed(tx, id);
                    })
                .compose(listed -> pick(tx, user, selection, new HashSet<>(listed)))
                .compose(
                    ids -> {
                      return store
                          .listed(tx, id)
                          .compose(
                              listed -> {
                                Set<UUID> total = new HashSet<>(listed);
                                total.addAll(ids);
                                if (total.size() > MAX_RECIPIENTS) {
                                  throw ApiException.validation(
                                      "A campaign may list at most "
                                          + MAX_RECIPIENTS
                                          + " patients.");
                                }
                                return store.addRecipients(tx, id, ids, Times.now(clock));
                              });
                    })
                .compose(
                    added ->
                        audit.record(
                            tx,
                            AuditEvent.by(user)
                                .on("campaign", id)
                                .with("added", added)
                                .success("campaign.recipients_added")))
                .compose(done -> own(tx, user, id)));
  }

  private Future<List<UUID>> pick(
      SqlClient tx, AuthenticatedUser user, Selection selection, Set<UUID> listed) {
    UUID org = user.organisationId();
    if (selection instanceof Selection.Csv csv) {
      return RecipientCsv.parse(csv.text(), MAX_RECIPIENTS)
          .resolve(ids -> store.ownPatients(tx, org, ids), listed);
    }
    if (selection instanceof Selection.Ids list) {
      return store
          .ownPatients(tx, org, list.ids())
          .map(
              own -> {
                Set<UUID> known = new HashSet<>(own);
                for (UUID patient : list.ids()) {
                  if (!known.contains(patient)) {
                    throw ApiException.validation(
                        "'patientIds' names an unknown patient: " + patient + ".");
                  }
                }
                return list.ids();
              });
    }
    if (selection instanceof Selection.Birthdays range) {
      return store.byBirthday(tx, org, range.from(), range.to(), MAX_RECIPIENTS + 1);
    }
    if (selection instanceof Selection.Tag tag) {
      return profiles.byTag(tx, org, tag.tag(), MAX_RECIPIENTS + 1);
    }
    if (selection instanceof Selection.RecallDueBy due) {
      return profiles.byRecallDue(tx, org, due.day(), MAX_RECIPIENTS + 1);
    }
    return store.allPatients(tx, org, MAX_RECIPIENTS + 1);
  }

  /** One row per listed patient: the channel's address, and whether they may be written to. */
  public record ReviewRow(
      UUID patientId,
      String familyName,
      String givenName,
      String state,
      String address,
      String reason) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("patientId", patientId.toString())
          .put("familyName", familyName)
          .put("givenName", givenName)
          .put("state", state)
          .put("address", address == null ? null : address.replace('\n', ','))
          .put("allowed", reason == null)
          .put("reason", reason);
    }
  }

  /** The review list as things stand now; audited. */
  public Future<List<ReviewRow>> review(AuthenticatedUser user, UUID id) {
    return own(pool, user, id)
        .compose(
            campaign ->
                store
                    .recipients(pool, id)
                    .compose(
                        recipients -> {
                          List<UUID> ids = recipients.stream().map(Recipient::patientId).toList();
                          return store
                              .contacts(pool, ids)
                              .compose(
                                  contacts ->
                                      permissions
                                          .current(
                                              pool, ids, campaign.channel(), campaign.purpose())
                                          .map(
                                              current -> {
                                                List<ReviewRow> rows = new ArrayList<>();
                                                for (Recipient r : recipients) {
                                                  PatientContact contact =
                                                      contacts.get(r.patientId());
                                                  if (contact == null) {
                                                    continue; // erased since it was listed
                                                  }
                                                  rows.add(
                                                      new ReviewRow(
                                                          r.patientId(),
                                                          contact.familyName(),
                                                          contact.givenName(),
                                                          r.state(),
                                                          contact.address(campaign.channel()),
                                                          contact.refusal(
                                                              campaign.channel(),
                                                              current.get(r.patientId()))));
                                                }
                                                return rows;
                                              }));
                        }))
        .compose(
            rows ->
                audit
                    .recordAlone(
                        AuditEvent.by(user)
                            .on("campaign", id)
                            .with("patients", rows.size())
                            .success("campaign.reviewed"))
                    .map(rows));
  }

  /** The message as one listed patient would get it (the opt-out link is a stand-in); audited. */
  public Future<JsonObject> preview(AuthenticatedUser user, UUID id, UUID patientId) {
    return own(pool, user, id)
        .compose(
            campaign ->
                store
                    .listed(pool, id)
                    .compose(
                        listed -> {
                          if (!listed.contains(patientId)) {
                            throw ApiException.notFound("No such patient on this campaign.");
                          }
                          return store.template(pool, user.organisationId(), campaign.templateId());
                        })
                    .compose(
                        template ->
                            store
                                .practice(pool, user.organisationId())
                                .compose(
                                    practice ->
                                        store
                                            .contacts(pool, List.of(patientId))
                                            .map(
                                                contacts -> {
                                                  PatientContact contact = contacts.get(patientId);
                                                  if (contact == null) {
                                                    throw ApiException.notFound(
                                                        "No such patient on this campaign.");
                                                  }
                                                  MessageText text =
                                                      MessageText.render(
                                                          template,
                                                          practice,
                                                          contact,
                                                          "letter".equals(campaign.channel())
                                                              ? null
                                                              : "(opt-out link)");
                                                  return new JsonObject()
                                                      .put("patientId", patientId.toString())
                                                      .put("channel", campaign.channel())
                                                      .put(
                                                          "address",
                                                          contact.address(campaign.channel())
                                                                  == null
                                                              ? null
                                                              : contact
                                                                  .address(campaign.channel())
                                                                  .replace('\n', ','))
                                                      .put("subject", text.subject())
                                                      .put("text", text.text());
                                                }))))
        .compose(
            preview ->
                audit
                    .recordAlone(
                        AuditEvent.by(user)
                            .on("campaign", id)
                            .with("patient", patientId)
                            .success("campaign.previewed"))
                    .map(preview));
  }

  /**
   * Starts sending to the ticked patients. Refused as a whole, storing nothing, when any of them is
   * not on the list or not allowed now ({@code recipient_not_allowed}, each with its reason).
   */
  public Future<Campaign> send(AuthenticatedUser user, UUID id, List<UUID> selected) {
    if (selected.isEmpty()) {
      throw ApiException.validation("Tick at least one patient.");
    }
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
        tx ->
            store
                .lockCampaign(tx, user.organisationId(), id)
                .compose(
                    found ->
                        found
                            ? own(tx, user, id)
                            : Future.failedFuture(ApiException.notFound("No such campaign.")))
                .compose(
                    campaign -> {
                      if (!"draft".equals(campaign.status())) {
                        throw notDraft();
                      }
                      requireChannel(campaign.channel());
                      return store
                          .listed(tx, id)
                          .compose(
                              listed -> {
                                Set<UUID> onList = new HashSet<>(listed);
                                for (UUID patient : selected) {
                                  if (!onList.contains(patient)) {
                                    throw ApiException.validation(
                                        "'patientIds' names a patient who is not on this campaign's list: "
                                            + patient
                                            + ".");
                                  }
                                }
                                return store.lockPatients(tx, selected);
                              })
                          .compose(locked -> store.contacts(tx, selected))
                          .compose(
                              contacts ->
                                  permissions
                                      .current(tx, selected, campaign.channel(), campaign.purpose())
                                      .map(
                                          current -> {
                                            JsonArray refused = new JsonArray();
                                            for (UUID patient : selected) {
                                              PatientContact contact = contacts.get(patient);
                                              String reason =
                                                  contact == null
                                                      ? "no_permission"
                                                      : contact.refusal(
                                                          campaign.channel(), current.get(patient));
                                              if (reason != null) {
                                                refused.add(
                                                    new JsonObject()
                                                        .put("patientId", patient.toString())
                                                        .put("reason", reason));
                                              }
                                            }
                                            if (!refused.isEmpty()) {
                                              throw new ApiException(
                                                  409,
                                                  "recipient_not_allowed",
                                                  refused.size()
                                                      + " ticked patient(s) may not be sent this"
                                                      + " message; untick them.",
                                                  null,
                                                  new JsonObject().put("patients", refused));
                                            }
                                            return campaign;
                                          }))
                          .compose(checked -> store.start(tx, id, selected, user.userId(), now))
                          .compose(
                              started ->
                                  audit.record(
                                      tx,
                                      AuditEvent.by(user)
                                          .on("campaign", id)
                                          .with("template", campaign.templateId())
                                          .with("channel", campaign.channel())
                                          .with("purpose", campaign.purpose())
                                          .with("recipients", selected.size())
                                          .with("legalBasis", "contact_permission")
                                          .success("campaign.sent")));
                    })
                .compose(done -> own(tx, user, id)));
  }

  /** Every recipient with their state (queued, sent, failed with reason, delivery). */
  public Future<List<Recipient>> recipients(AuthenticatedUser user, UUID id) {
    return own(pool, user, id).compose(campaign -> store.recipients(pool, id));
  }

  /**
   * The recipient list as CSV for a data-protection inquiry: who was listed, sent to or not and
   * why, at which address; audited.
   */
  public Future<String> export(AuthenticatedUser user, UUID id) {
    return own(pool, user, id)
        .compose(campaign -> store.recipients(pool, id))
        .compose(
            recipients ->
                audit
                    .recordAlone(
                        AuditEvent.by(user)
                            .on("campaign", id)
                            .with("patients", recipients.size())
                            .success("campaign.recipients_exported"))
                    .map(done -> RecipientCsv.export(recipients)));
  }

  /** The letters of a letter campaign as one PDF, one page per letter sent; audited. */
  public Future<byte[]> letters(AuthenticatedUser user, UUID id) {
    return own(pool, user, id)
        .compose(
            campaign -> {
              if (!"letter".equals(campaign.channel())) {
                throw ApiException.notFound("This campaign sends no letters.");
              }
              return store
                  .template(pool, user.organisationId(), campaign.templateId())
                  .compose(
                      template ->
                          store
                              .practice(pool, user.organisationId())
                              .compose(
                                  practice ->
                                      store
                                          .recipients(pool, id)
                                          .compose(
                                              recipients -> {
                                                List<Recipient> sent =
                                                    recipients.stream()
                                                        .filter(r -> "sent".equals(r.state()))
                                                        .toList();
                                                return store
                                                    .contacts(
                                                        pool,
                                                        sent.stream()
                                                            .map(Recipient::patientId)
                                                            .toList())
                                                    .map(
                                                        contacts -> {
                                                          List<SerialLetter.Letter> letters =
                                                              new ArrayList<>();
                                                          for (Recipient r : sent) {
                                                            PatientContact c =
                                                                contacts.get(r.patientId());
                                                            if (c != null) {
                                                              MessageText text =
                                                                  MessageText.render(
                                                                      template, practice, c, null);
                                                              letters.add(
                                                                  new SerialLetter.Letter(
                                                                      r.address(),
                                                                      text.subject(),
                                                                      text.text()));
                                                            }
                                                          }
                                                          return letters;
                                                        });
                                              })
                                          .compose(
                                              letters ->
                                                  audit
                                                      .recordAlone(
                                                          AuditEvent.by(user)
                                                              .on("campaign", id)
                                                              .with("letters", letters.size())
                                                              .success("campaign.letters_printed"))
                                                      .compose(
                                                          done ->
                                                              vertx.executeBlocking(
                                                                  () ->
                                                                      SerialLetter.render(
                                                                          practice,
                                                                          letters,
                                                                          template.language()))))));
            });
  }

  private void requireChannel(String channel) {
    if (!channels.contains(channel)) {
      throw ApiException.conflict(
          "channel_unavailable",
          "No transport that reaches patients is configured for " + channel + ".");
    }
  }

  private static ApiException notDraft() {
    return ApiException.conflict(
        "campaign_not_draft", "This campaign is already being sent or done.");
  }
}
