package org.konsil.server.outreach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Waiting;

/**
 * Appointment reminders end to end with a real SMTP server and a pinned clock: exactly one reminder
 * when the clock reaches the day before, with the date and time and no other patient data; none
 * without permission (skipped with the reason), for a cancelled appointment or after a withdrawal;
 * another organisation's patient is refused like an unknown one; a CSV with a bad line stores
 * nothing.
 */
class AppointmentReminderTest {

  static final int SMTP_PORT = KonsilServer.freePort();
  static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  @RegisterExtension
  @Order(1)
  static GreenMailExtension mail =
      new GreenMailExtension(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
          .withPerMethodLifecycle(false);

  @RegisterExtension
  @Order(2)
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_SMTP_HOST", "127.0.0.1")
          .with("KONSIL_SMTP_PORT", Integer.toString(SMTP_PORT))
          .with("KONSIL_SMTP_SECURITY", "none");

  static CareNetwork network;
  static Cohort cohort;
  static Cohort outsiders;
  static UUID template;

  /** Anna's access token, fresh after each move of the clock. */
  static String anna;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
    anna = network.anna().accessToken();
    // the test runs each round itself, at the clock it sets
    server.wiring().appointmentReminders().stop();
    cohort = new Cohort(server, network.anna(), network.practice().id());
    outsiders = new Cohort(server, network.eve(), network.outsider().id());
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/message-templates",
                new JsonObject()
                    .put("name", "Terminerinnerung")
                    .put("channel", "email")
                    .put("language", "de")
                    .put("subject", "Ihr Termin bei {{practice_name}}")
                    .put(
                        "body",
                        "Guten Tag {{salutation}} {{family_name}},\nIhr Termin ist am"
                            + " {{appointment_date}} um {{appointment_time}} Uhr."),
                anna);
    assertEquals(201, created.status(), created.body());
    template = UUID.fromString(created.json().getString("id"));
    Api.Response off = server.api().get("/api/v1/organisation/appointment-reminders", anna);
    assertEquals(200, off.status(), off.body());
    assertFalse(off.json().getBoolean("enabled"));
    Api.Response set = setting(1);
    assertEquals(200, set.status(), set.body());
    assertTrue(set.json().getBoolean("enabled"));
    assertEquals(1, set.json().getInteger("daysBefore"));
  }

  static Api.Response setting(Object days) {
    return server
        .api()
        .put(
            "/api/v1/organisation/appointment-reminders",
            new JsonObject()
                .put("channel", "email")
                .put("templateId", template.toString())
                .put("daysBefore", days),
            anna);
  }

  static Cohort.Person person(String tag, boolean permitted) {
    Cohort.Person p = Cohort.people(tag, 1, "termin.example").get(0);
    cohort.insert(List.of(p));
    if (permitted) {
      cohort.permission(List.of(p.id()), "email", "appointment_reminder", "granted");
    }
    return p;
  }

  /** Two calendar days ahead at 09:30 in Berlin: more than one day from the clock. */
  static ZonedDateTime twoDaysAhead() {
    return ZonedDateTime.ofInstant(server.clock.instant(), BERLIN)
        .plusDays(2)
        .with(LocalTime.of(9, 30));
  }

  static UUID appointment(UUID patient, ZonedDateTime at) {
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/appointments",
                new JsonObject()
                    .put("patientId", patient.toString())
                    .put(
                        "startsAt",
                        at.toOffsetDateTime().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)),
                anna);
    assertEquals(201, created.status(), created.body());
    assertEquals("pending", created.json().getString("reminder"));
    return UUID.fromString(created.json().getString("id"));
  }

  static JsonObject listed(UUID patient, UUID appointment) {
    Api.Response list = server.api().get("/api/v1/patients/" + patient + "/appointments", anna);
    assertEquals(200, list.status(), list.body());
    for (Object o : list.array()) {
      JsonObject a = (JsonObject) o;
      if (a.getString("id").equals(appointment.toString())) {
        return a;
      }
    }
    throw new AssertionError("appointment not listed: " + list.body());
  }

  /** Moves the clock to the given time and runs one round (and sends what it queued). */
  static void roundAt(ZonedDateTime when) {
    Duration ahead = Duration.between(server.clock.instant(), when.toInstant());
    if (!ahead.isNegative()) {
      server.clock.advance(ahead);
      anna = server.login(network.practice().admin()).accessToken();
    }
    while (KonsilServer.await(server.wiring().appointmentReminders().round()) > 0) {
      // another batch
    }
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().mailOutbox().drain());
          return server.count(
                  "SELECT count(*) FROM outbox o JOIN appointments a ON a.outbox_id = o.id"
                      + " WHERE o.status <> 'sent'")
              == 0;
        },
        "the reminders left the outbox");
  }

  static List<MimeMessage> mailsTo(String address) {
    List<MimeMessage> found = new ArrayList<>();
    for (MimeMessage message : mail.getReceivedMessages()) {
      try {
        if (message.getAllRecipients()[0].toString().equals(address)) {
          found.add(message);
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    return found;
  }

  @Test
  void remindedOnceADayBeforeWithDateAndTimeAndNothingElse() throws Exception {
    Cohort.Person p = person("Erinnert", true);
    ZonedDateTime at = twoDaysAhead();
    UUID id = appointment(p.id(), at);

    roundAt(at.minusDays(1).minusMinutes(1));
    assertEquals(0, mailsTo(p.email()).size(), "not yet due");
    assertEquals("pending", listed(p.id(), id).getString("reminder"));

    roundAt(at.minusDays(1).plusMinutes(1));
    List<MimeMessage> mails = mailsTo(p.email());
    assertEquals(1, mails.size());
    String body = GreenMailUtil.getBody(mails.get(0));
    String date = at.format(DateTimeFormatter.ofPattern("dd.MM.yyyy"));
    assertTrue(body.contains("am " + date + " um 09:30 Uhr"), body);
    assertTrue(body.contains("Frau " + p.familyName()), body);
    assertTrue(body.contains("/opt-out#"), body);
    assertFalse(body.contains("07.03.1941") || body.contains("1941"), body);
    assertFalse(body.contains(Cohort.INSURANCE), body);
    assertFalse(body.contains("Erika"), body);
    assertFalse(body.contains("Lindenallee"), body);
    String subject = mails.get(0).getSubject();
    assertFalse(subject.contains(p.familyName()), subject);
    JsonObject row = listed(p.id(), id);
    assertEquals("sent", row.getString("reminder"));
    assertEquals("email", row.getString("reminderChannel"));

    roundAt(at.minusHours(1));
    assertEquals(1, mailsTo(p.email()).size(), "the job again sends nothing more");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM opt_out_tokens WHERE appointment_id = '"
                + id
                + "' AND purpose = 'appointment_reminder'"));
  }

  @Test
  void twoNodesRunningTheJobAtOnceSendEachReminderOnce() {
    List<Cohort.Person> people = new ArrayList<>();
    List<UUID> ids = new ArrayList<>();
    ZonedDateTime at = twoDaysAhead();
    for (int i = 0; i < 30; i++) {
      Cohort.Person p = person("Zweiknoten" + i + "x", true);
      people.add(p);
      ids.add(appointment(p.id(), at));
    }
    Duration ahead = Duration.between(server.clock.instant(), at.minusDays(1).toInstant());
    server.clock.advance(ahead.plusMinutes(1));
    anna = server.login(network.practice().admin()).accessToken();
    // a second node's job: its own instance over the same database
    AppointmentReminders other =
        new AppointmentReminders(
            server.node().vertx(),
            server.node().pool(),
            server.clock,
            server.wiring().campaigns(),
            server.wiring().appointments(),
            server.wiring().contactPermissions(),
            server.wiring().mailOutbox(),
            server.wiring().smsOutbox(),
            server.wiring().optOuts(),
            Duration.ofMinutes(1));
    for (int round = 0; round < 3; round++) {
      io.vertx.core.Future<Integer> one = server.wiring().appointmentReminders().round();
      io.vertx.core.Future<Integer> two = other.round();
      KonsilServer.await(io.vertx.core.Future.join(one, two));
    }
    roundAt(at.minusDays(1).plusMinutes(2));
    String in = ids.stream().map(id -> "'" + id + "'").reduce((a, b) -> a + "," + b).orElseThrow();
    assertEquals(
        30,
        server.count(
            "SELECT count(DISTINCT outbox_id) FROM appointments WHERE reminder_state = 'sent'"
                + " AND id IN ("
                + in
                + ")"));
    assertEquals(
        30,
        server.count("SELECT count(*) FROM opt_out_tokens WHERE appointment_id IN (" + in + ")"));
    for (Cohort.Person p : people) {
      assertEquals(1, mailsTo(p.email()).size(), p.email());
    }
  }

  @Test
  void withoutPermissionNoMailAndSkippedWithReason() {
    Cohort.Person p = person("Ohneerlaubnis", false);
    ZonedDateTime at = twoDaysAhead();
    UUID id = appointment(p.id(), at);
    roundAt(at.minusDays(1).plusMinutes(1));
    assertEquals(0, mailsTo(p.email()).size());
    JsonObject row = listed(p.id(), id);
    assertEquals("skipped", row.getString("reminder"));
    assertEquals("no_permission", row.getString("reminderReason"));
  }

  @Test
  void cancelledAppointmentGetsNothing() {
    Cohort.Person p = person("Abgesagt", true);
    ZonedDateTime at = twoDaysAhead();
    UUID id = appointment(p.id(), at);
    Api.Response cancelled =
        server.api().send(HttpMethod.DELETE, "/api/v1/appointments/" + id, anna, null, null);
    assertEquals(200, cancelled.status(), cancelled.body());
    assertTrue(cancelled.json().getString("cancelledAt") != null);
    // another organisation cannot cancel it: it does not exist for them
    Api.Response foreign =
        server
            .api()
            .send(
                HttpMethod.DELETE,
                "/api/v1/appointments/" + id,
                server.login(network.outsider().admin()).accessToken(),
                null,
                null);
    assertEquals(404, foreign.status(), foreign.body());
    roundAt(at.minusDays(1).plusMinutes(1));
    assertEquals(0, mailsTo(p.email()).size());
    JsonObject row = listed(p.id(), id);
    assertEquals("pending", row.getString("reminder"));
    assertNull(row.getString("remindedAt"));
  }

  @Test
  void withdrawalBeforeTheDueTimeStopsTheReminder() {
    Cohort.Person p = person("Widerrufen", true);
    ZonedDateTime at = twoDaysAhead();
    UUID id = appointment(p.id(), at);
    cohort.permission(List.of(p.id()), "email", "appointment_reminder", "withdrawn");
    roundAt(at.minusDays(1).plusMinutes(1));
    assertEquals(0, mailsTo(p.email()).size());
    JsonObject row = listed(p.id(), id);
    assertEquals("skipped", row.getString("reminder"));
    assertEquals("withdrawn", row.getString("reminderReason"));
  }

  @Test
  void anotherOrganisationsPatientIsRefusedLikeAnUnknownOne() {
    Cohort.Person foreign = Cohort.people("Fremd", 1, "fremd.example").get(0);
    outsiders.insert(List.of(foreign));
    String starts =
        twoDaysAhead().toOffsetDateTime().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    Api.Response theirs =
        server
            .api()
            .post(
                "/api/v1/appointments",
                new JsonObject().put("patientId", foreign.id().toString()).put("startsAt", starts),
                anna);
    Api.Response unknown =
        server
            .api()
            .post(
                "/api/v1/appointments",
                new JsonObject()
                    .put("patientId", UUID.randomUUID().toString())
                    .put("startsAt", starts),
                anna);
    assertEquals(404, theirs.status(), theirs.body());
    assertEquals(unknown.status(), theirs.status());
    assertEquals(unknown.code(), theirs.code());
    assertEquals(unknown.json().getString("detail"), theirs.json().getString("detail"));
    Api.Response list =
        server.api().get("/api/v1/patients/" + foreign.id() + "/appointments", anna);
    assertEquals(404, list.status(), list.body());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM appointments WHERE patient_id = '" + foreign.id() + "'"));
  }

  @Test
  void csvWithABadLineStoresNothing() {
    Cohort.Person p = person("Import", true);
    Cohort.Person foreign = Cohort.people("Fremdimport", 1, "fremd.example").get(0);
    outsiders.insert(List.of(foreign));
    String date = twoDaysAhead().format(DateTimeFormatter.ofPattern("dd.MM.yyyy"));
    String csv =
        "patient_id;date;time\n"
            + p.id()
            + ";"
            + date
            + ";10:15\n"
            + p.id()
            + ";31.02.2026;10:15\n"
            + foreign.id()
            + ";"
            + date
            + ";11:00\n"
            + p.id()
            + ";01.01.2020;08:00\n";
    Api.Response refused =
        server.api().post("/api/v1/appointments/import", new JsonObject().put("csv", csv), anna);
    assertEquals(422, refused.status(), refused.body());
    assertEquals("csv_invalid", refused.code());
    JsonArray errors = refused.json().getJsonArray("errors");
    assertEquals(3, errors.size(), refused.body());
    assertEquals(3, errors.getJsonObject(0).getInteger("line"));
    assertEquals("malformed", errors.getJsonObject(0).getString("code"));
    assertEquals("unknown_patient", errors.getJsonObject(1).getString("code"));
    assertEquals("in_past", errors.getJsonObject(2).getString("code"));
    assertEquals(
        0, server.count("SELECT count(*) FROM appointments WHERE patient_id = '" + p.id() + "'"));

    Api.Response imported =
        server
            .api()
            .post(
                "/api/v1/appointments/import",
                new JsonObject().put("csv", p.id() + ";" + date + ";10:15\n"),
                anna);
    assertEquals(201, imported.status(), imported.body());
    assertEquals(1, imported.json().getInteger("imported"));
    OffsetDateTime starts =
        OffsetDateTime.parse(
            imported.json().getJsonArray("appointments").getJsonObject(0).getString("startsAt"));
    assertEquals(
        "10:15",
        starts
            .atZoneSameInstant(BERLIN)
            .toLocalTime()
            .format(DateTimeFormatter.ofPattern("HH:mm")));
  }

  @Test
  void erasureTakesTheAppointmentsAlong() {
    Cohort.Person p = person("Geloescht", false);
    appointment(p.id(), twoDaysAhead());
    Api.Response tagged =
        server
            .api()
            .put(
                "/api/v1/patients/" + p.id() + "/outreach-profile",
                new JsonObject()
                    .put("tags", new JsonArray().add("Recall"))
                    .put("recallDue", "2027-01-15"),
                anna);
    assertEquals(200, tagged.status(), tagged.body());
    Api.Response erased = server.api().post("/api/v1/patients/" + p.id() + "/erasure", null, anna);
    assertTrue(erased.status() < 300, erased.body());
    assertEquals(
        0, server.count("SELECT count(*) FROM appointments WHERE patient_id = '" + p.id() + "'"));
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM patient_outreach_profiles WHERE patient_id = '" + p.id() + "'"));
  }

  @Test
  void settingIsCheckedAndForAdministratorsOnly() {
    assertEquals("validation_failed", setting(0).code());
    assertEquals("validation_failed", setting(8).code());
    Api.Response staff =
        server
            .api()
            .put(
                "/api/v1/organisation/appointment-reminders",
                new JsonObject()
                    .put("channel", "email")
                    .put("templateId", template.toString())
                    .put("daysBefore", 2),
                server.login(server.user(network.practice())).accessToken());
    assertEquals(403, staff.status(), staff.body());
    assertEquals(
        1,
        server
            .api()
            .get("/api/v1/organisation/appointment-reminders", anna)
            .json()
            .getInteger("daysBefore"));
  }

  @Test
  void englishTemplatesNameTheDateInTheirOwnFormat() {
    OffsetDateTime at = OffsetDateTime.parse("2026-12-24T08:30:00Z");
    assertEquals(
        java.util.Map.of("appointment_date", "24.12.2026", "appointment_time", "09:30"),
        Appointments.macros(at, "de"));
    assertEquals(
        java.util.Map.of("appointment_date", "24 December 2026", "appointment_time", "09:30"),
        Appointments.macros(at, "en"));
  }
}
