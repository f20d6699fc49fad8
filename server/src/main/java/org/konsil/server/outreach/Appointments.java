package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
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
 * Appointments the practice enters or imports, and the organisation's reminder setting. Only the
 * caller's organisation's patients can have one; another organisation's patient is answered exactly
 * like an unknown one.
 */
public final class Appointments {

  /** The practice's time zone: an imported date and time, and a reminder's macros, are in it. */
  static final ZoneId ZONE = ZoneId.of("Europe/Berlin");

  static final int MAX_IMPORT = 10_000;

  private static final DateTimeFormatter GERMAN_DATE =
      DateTimeFormatter.ofPattern("dd.MM.uuuu")
          .withResolverStyle(java.time.format.ResolverStyle.STRICT);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm").withResolverStyle(java.time.format.ResolverStyle.STRICT);

  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final Campaigns campaigns;
  private final CampaignStore campaignStore;
  private final AppointmentStore store = new AppointmentStore();

  public Appointments(Pool pool, Clock clock, AuditLog audit, Campaigns campaigns) {
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
    this.campaigns = campaigns;
    this.campaignStore = campaigns.store();
  }

  AppointmentStore store() {
    return store;
  }

  public Future<Appointment> create(AuthenticatedUser user, UUID patient, OffsetDateTime starts) {
    OffsetDateTime now = Times.now(clock);
    if (!starts.isAfter(now)) {
      throw ApiException.validation("'startsAt' must lie in the future.");
    }
    UUID id = UUID.randomUUID();
    return pool.withTransaction(
        tx ->
            campaignStore
                .ownPatients(tx, user.organisationId(), List.of(patient))
                .compose(
                    own -> {
                      if (own.isEmpty()) {
                        throw ApiException.notFound("No such patient.");
                      }
                      return store.insert(
                          tx, id, user.organisationId(), patient, starts, user.userId(), now);
                    })
                .compose(
                    done ->
                        audit.record(
                            tx,
                            AuditEvent.by(user)
                                .on("patient", patient)
                                .with("appointment", id.toString())
                                .success("appointment.created")))
                .compose(done -> store.one(tx, user.organisationId(), id)));
  }

  /** The patient's appointments, newest first; audited. */
  public Future<List<Appointment>> list(AuthenticatedUser user, UUID patient) {
    return pool.withTransaction(
        tx ->
            campaignStore
                .ownPatients(tx, user.organisationId(), List.of(patient))
                .compose(
                    own -> {
                      if (own.isEmpty()) {
                        throw ApiException.notFound("No such patient.");
                      }
                      return store.ofPatient(tx, user.organisationId(), patient);
                    })
                .compose(
                    list ->
                        audit
                            .record(
                                tx,
                                AuditEvent.by(user)
                                    .on("patient", patient)
                                    .success("appointment.listed"))
                            .map(list)));
  }

  public Future<Appointment> cancel(AuthenticatedUser user, UUID id) {
    return pool.withTransaction(
        tx ->
            store
                .one(tx, user.organisationId(), id)
                .compose(
                    found -> {
                      if (found == null) {
                        throw ApiException.notFound("No such appointment.");
                      }
                      return store
                          .cancel(tx, user.organisationId(), id, user.userId(), Times.now(clock))
                          .compose(
                              changed ->
                                  !changed
                                      ? Future.succeededFuture()
                                      : audit.record(
                                          tx,
                                          AuditEvent.by(user)
                                              .on("patient", found.patientId())
                                              .with("appointment", id.toString())
                                              .success("appointment.cancelled")))
                          .compose(done -> store.one(tx, user.organisationId(), id));
                    }));
  }

  private record Line(int number, UUID patient, OffsetDateTime startsAt) {}

  /**
   * Imports a CSV of {@code patient id;date;time} lines (date as 24.12.2026 or 2026-12-24, time as
   * 09:30, both in the practice's time zone). Any wrong line stores nothing: {@code 422
   * csv_invalid} with every line's error.
   */
  public Future<List<Appointment>> importCsv(AuthenticatedUser user, String csv) {
    OffsetDateTime now = Times.now(clock);
    List<Line> lines = new ArrayList<>();
    List<JsonObject> errors = new ArrayList<>();
    String[] rows = csv.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1);
    for (int i = 0; i < rows.length; i++) {
      String row = rows[i].strip();
      if (row.isEmpty()) {
        continue;
      }
      String[] fields = row.split("[,;\t]", -1);
      for (int f = 0; f < fields.length; f++) {
        String v = fields[f].strip();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1).strip();
        }
        fields[f] = v;
      }
      if (lines.isEmpty() && errors.isEmpty() && fields[0].matches("(?i)[a-z _-]{1,40}")) {
        continue; // a header line such as "patient_id;date;time"
      }
      if (lines.size() + errors.size() >= MAX_IMPORT) {
        throw ApiException.validation("The CSV may hold at most " + MAX_IMPORT + " appointments.");
      }
      int number = i + 1;
      if (fields.length != 3) {
        errors.add(error(number, "malformed", "A line is: patient id; date; time."));
        continue;
      }
      UUID patient;
      OffsetDateTime starts;
      try {
        if (fields[0].length() != 36) {
          throw new IllegalArgumentException();
        }
        patient = UUID.fromString(fields[0]);
        LocalDate date =
            fields[1].contains(".")
                ? LocalDate.parse(fields[1], GERMAN_DATE)
                : LocalDate.parse(fields[1]);
        LocalTime time = LocalTime.parse(fields[2], TIME);
        starts = date.atTime(time).atZone(ZONE).toOffsetDateTime();
      } catch (IllegalArgumentException | DateTimeParseException e) {
        errors.add(
            error(number, "malformed", "A line is: patient id; date (24.12.2026); time (09:30)."));
        continue;
      }
      if (!starts.isAfter(now)) {
        errors.add(error(number, "in_past", "This appointment is not in the future."));
        continue;
      }
      lines.add(new Line(number, patient, starts));
    }
    if (lines.isEmpty() && errors.isEmpty()) {
      throw ApiException.validation("The CSV holds no appointment.");
    }
    return pool.withTransaction(
        tx ->
            campaignStore
                .ownPatients(
                    tx,
                    user.organisationId(),
                    lines.stream().map(Line::patient).distinct().toList())
                .compose(
                    own -> {
                      Set<UUID> known = new HashSet<>(own);
                      for (Line line : lines) {
                        if (!known.contains(line.patient())) {
                          errors.add(error(line.number(), "unknown_patient", "No such patient."));
                        }
                      }
                      if (!errors.isEmpty()) {
                        List<JsonObject> sorted = new ArrayList<>(errors);
                        sorted.sort(
                            (a, b) -> Integer.compare(a.getInteger("line"), b.getInteger("line")));
                        throw new ApiException(
                            422,
                            "csv_invalid",
                            errors.size() + " line(s) of the CSV are wrong; nothing was added.",
                            null,
                            new JsonObject().put("errors", new JsonArray(sorted)));
                      }
                      List<UUID> ids = new ArrayList<>();
                      Future<Void> chain = Future.succeededFuture();
                      for (Line line : lines) {
                        UUID id = UUID.randomUUID();
                        ids.add(id);
                        chain =
                            chain.compose(
                                done ->
                                    store.insert(
                                        tx,
                                        id,
                                        user.organisationId(),
                                        line.patient(),
                                        line.startsAt(),
                                        user.userId(),
                                        now));
                      }
                      return chain
                          .compose(
                              done ->
                                  audit.record(
                                      tx,
                                      AuditEvent.by(user)
                                          .with("count", lines.size())
                                          .success("appointment.imported")))
                          .compose(
                              done -> {
                                List<Appointment> created = new ArrayList<>();
                                Future<Void> reads = Future.succeededFuture();
                                for (UUID id : ids) {
                                  reads =
                                      reads.compose(
                                          d ->
                                              store
                                                  .one(tx, user.organisationId(), id)
                                                  .map(
                                                      a -> {
                                                        created.add(a);
                                                        return null;
                                                      }));
                                }
                                return reads.map(created);
                              });
                    }));
  }

  private static JsonObject error(int line, String code, String detail) {
    return new JsonObject().put("line", line).put("code", code).put("detail", detail);
  }

  // ---- the reminder setting ----

  public Future<JsonObject> reminderSetting(AuthenticatedUser user) {
    return store.setting(pool, user.organisationId()).map(Appointments::settingJson);
  }

  public Future<JsonObject> setReminders(
      AuthenticatedUser user, String channel, UUID templateId, int daysBefore) {
    user.requireAdmin();
    if (!"email".equals(channel) && !"sms".equals(channel)) {
      throw ApiException.validation("'channel' must be email or sms.");
    }
    if (daysBefore < 1 || daysBefore > 7) {
      throw ApiException.validation("'daysBefore' must be between 1 and 7.");
    }
    if (!campaigns.available(channel)) {
      throw ApiException.conflict(
          "channel_unavailable",
          "No transport that reaches patients is configured for " + channel + ".");
    }
    AppointmentStore.Setting setting =
        new AppointmentStore.Setting(channel, templateId, daysBefore);
    return pool.withTransaction(
            tx ->
                campaignStore
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
                          return store.set(
                              tx, user.organisationId(), setting, user.userId(), Times.now(clock));
                        })
                    .compose(
                        done ->
                            audit.record(
                                tx,
                                AuditEvent.by(user)
                                    .with("channel", channel)
                                    .with("daysBefore", daysBefore)
                                    .success("appointment_reminders.changed"))))
        .compose(done -> reminderSetting(user));
  }

  public Future<JsonObject> stopReminders(AuthenticatedUser user) {
    user.requireAdmin();
    return pool.withTransaction(
            tx ->
                store
                    .unset(tx, user.organisationId())
                    .compose(
                        done ->
                            audit.record(
                                tx, AuditEvent.by(user).success("appointment_reminders.stopped"))))
        .compose(done -> reminderSetting(user));
  }

  private static JsonObject settingJson(AppointmentStore.Setting s) {
    return s == null
        ? new JsonObject()
            .put("enabled", false)
            .putNull("channel")
            .putNull("templateId")
            .put("daysBefore", 1)
        : new JsonObject()
            .put("enabled", true)
            .put("channel", s.channel())
            .put("templateId", s.templateId().toString())
            .put("daysBefore", s.daysBefore());
  }

  /** The appointment's date and time as a reminder in this language names them. */
  static java.util.Map<String, String> macros(OffsetDateTime startsAt, String language) {
    java.time.ZonedDateTime local = startsAt.atZoneSameInstant(ZONE);
    String date =
        "en".equals(language)
            ? local.format(DateTimeFormatter.ofPattern("d MMMM uuuu", java.util.Locale.ENGLISH))
            : local.format(GERMAN_DATE);
    return java.util.Map.of("appointment_date", date, "appointment_time", local.format(TIME));
  }
}
