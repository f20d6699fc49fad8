package org.konsil.server.outreach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.FakeSmsGateway;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Waiting;

/**
 * Messages to many patients, end to end with a real SMTP server: the review list says who may be
 * written to and why not, the server refuses the others even when a client ticks them, exactly the
 * allowed ones get one message each (across a restart too), an opt-out or a withdrawal stops the
 * next message, letters come as one page each, and no message carries a birth date, an insurance
 * number or anything of the treatment.
 */
class CampaignTest {

  static final int SMTP_PORT = KonsilServer.freePort();
  static final String DIAGNOSIS = "Diabetes mellitus Typ 2";

  @RegisterExtension
  @Order(1)
  static GreenMailExtension mail =
      new GreenMailExtension(new ServerSetup(SMTP_PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
          .withPerMethodLifecycle(false);

  static final FakeSmsGateway gateway = new FakeSmsGateway();

  @RegisterExtension
  @Order(2)
  static KonsilServer server =
      new KonsilServer()
          .with("KONSIL_SMS_TRANSPORT", "http")
          .with("KONSIL_SMS_HTTP_URL", gateway.url())
          .with("KONSIL_SMS_HTTP_TOKEN", FakeSmsGateway.TOKEN)
          .with("KONSIL_SMTP_HOST", "127.0.0.1")
          .with("KONSIL_SMTP_PORT", Integer.toString(SMTP_PORT))
          .with("KONSIL_SMTP_SECURITY", "none")
          .with("KONSIL_CAMPAIGN_RATE_PER_SECOND", "40");

  static CareNetwork network;
  static Cohort cohort;
  static UUID emailTemplate;

  @org.junit.jupiter.api.AfterAll
  static void closeGateway() {
    gateway.close();
  }

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
    cohort = new Cohort(server, network.anna(), network.practice().id());
    assertEquals(
        200,
        server
            .api()
            .put(
                "/api/v1/outreach-settings",
                new JsonObject().put("practicePhone", "+49 30 1234567"),
                network.anna().accessToken())
            .status());
    emailTemplate =
        template(
            "email",
            "Erinnerung",
            "Termin bei {{practice_name}}",
            "Guten Tag {{salutation}} {{family_name}},\n\nbitte denken Sie an Ihre Kontrolle."
                + " Rufen Sie uns an: {{practice_phone}}.");
  }

  static UUID template(String channel, String name, String subject, String body) {
    JsonObject request =
        new JsonObject()
            .put("name", name)
            .put("channel", channel)
            .put("language", "de")
            .put("body", body);
    if (subject != null) {
      request.put("subject", subject);
    }
    Api.Response created =
        server.api().post("/api/v1/message-templates", request, network.anna().accessToken());
    assertEquals(201, created.status(), created.body());
    return UUID.fromString(created.json().getString("id"));
  }

  static UUID campaign(String channel, UUID template, List<UUID> patients) {
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/campaigns",
                new JsonObject()
                    .put("name", "Recall")
                    .put("channel", channel)
                    .put("purpose", "recall")
                    .put("templateId", template.toString()),
                network.anna().accessToken());
    assertEquals(201, created.status(), created.body());
    UUID id = UUID.fromString(created.json().getString("id"));
    Api.Response added =
        server
            .api()
            .post(
                "/api/v1/campaigns/" + id + "/recipients",
                new JsonObject().put("patientIds", ids(patients)),
                network.anna().accessToken());
    assertEquals(200, added.status(), added.body());
    return id;
  }

  static JsonArray ids(List<UUID> ids) {
    return new JsonArray(ids.stream().map(UUID::toString).toList());
  }

  static Api.Response send(UUID campaign, List<UUID> patients) {
    return server
        .api()
        .post(
            "/api/v1/campaigns/" + campaign + "/send",
            new JsonObject().put("patientIds", ids(patients)),
            network.anna().accessToken());
  }

  static JsonArray review(UUID campaign) {
    Api.Response review =
        server.api().get("/api/v1/campaigns/" + campaign + "/review", network.anna().accessToken());
    assertEquals(200, review.status(), review.body());
    return review.array();
  }

  /** Waits until the campaign is done and every one of its mails has left the outbox. */
  static void finished(UUID campaign) {
    Waiting.until(
        () ->
            server.count(
                    "SELECT count(*) FROM campaigns WHERE status = 'done' AND id = '"
                        + campaign
                        + "'")
                == 1,
        "the campaign is done");
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().mailOutbox().drain());
          return server.count(
                  "SELECT count(*) FROM outbox o JOIN campaign_recipients r ON r.outbox_id = o.id"
                      + " WHERE r.campaign_id = '"
                      + campaign
                      + "' AND o.status <> 'sent'")
              == 0;
        },
        "the campaign's mails left the outbox");
  }

  static Map<String, Integer> mailsTo(String domain) {
    Map<String, Integer> counts = new HashMap<>();
    for (MimeMessage message : mail.getReceivedMessages()) {
      try {
        String to = message.getAllRecipients()[0].toString();
        if (to.endsWith("@" + domain)) {
          counts.merge(to, 1, Integer::sum);
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    return counts;
  }

  @Test
  void twoHundredPatientsSixtyWithoutPermissionExactlyOneHundredFortySent() {
    List<Cohort.Person> allowed = Cohort.people("Allowed", 140, "a.example");
    List<Cohort.Person> none = Cohort.people("Nopermission", 30, "a.example");
    List<Cohort.Person> withdrawn = Cohort.people("Withdrawn", 10, "a.example");
    List<Cohort.Person> noAddress = Cohort.people("Noaddress", 10, null);
    List<Cohort.Person> invalid = Cohort.people("Invalid", 10, "localhost");
    List<Cohort.Person> everyone = new ArrayList<>();
    for (List<Cohort.Person> group : List.of(allowed, none, withdrawn, noAddress, invalid)) {
      everyone.addAll(group);
    }
    cohort.insert(everyone);
    cohort.permission(Cohort.ids(allowed), "email", "recall", "granted");
    cohort.permission(Cohort.ids(withdrawn), "email", "recall", "granted");
    cohort.permission(Cohort.ids(withdrawn), "email", "recall", "withdrawn");
    cohort.permission(Cohort.ids(noAddress), "email", "recall", "granted");
    cohort.permission(Cohort.ids(invalid), "email", "recall", "granted");
    // a permission for another channel or purpose is no permission for this one
    cohort.permission(Cohort.ids(none), "letter", "recall", "granted");
    cohort.permission(Cohort.ids(none), "email", "practice_news", "granted");

    UUID campaign = campaign("email", emailTemplate, Cohort.ids(everyone));
    JsonArray review = review(campaign);
    assertEquals(200, review.size());
    Map<String, Integer> reasons = new HashMap<>();
    List<UUID> ticked = new ArrayList<>();
    for (Object o : review) {
      JsonObject row = (JsonObject) o;
      if (row.getBoolean("allowed")) {
        ticked.add(UUID.fromString(row.getString("patientId")));
      } else {
        reasons.merge(row.getString("reason"), 1, Integer::sum);
      }
    }
    assertEquals(140, ticked.size());
    assertEquals(
        Map.of("no_permission", 30, "withdrawn", 10, "no_address", 10, "invalid_address", 10),
        reasons);

    // a client that ticks everyone is refused as a whole, and nothing starts
    Api.Response forced = send(campaign, Cohort.ids(everyone));
    assertEquals(409, forced.status());
    assertEquals("recipient_not_allowed", forced.code());
    assertEquals(60, forced.json().getJsonArray("patients").size());
    Api.Response one = send(campaign, List.of(ticked.get(0), none.get(0).id()));
    assertEquals(409, one.status());
    assertEquals(
        new JsonArray()
            .add(
                new JsonObject()
                    .put("patientId", none.get(0).id().toString())
                    .put("reason", "no_permission")),
        one.json().getJsonArray("patients"));
    assertEquals(
        200,
        server.count(
            "SELECT count(*) FROM campaign_recipients WHERE state = 'listed' AND campaign_id = '"
                + campaign
                + "'"));

    Api.Response started = send(campaign, ticked);
    assertEquals(202, started.status(), started.body());
    assertEquals("sending", started.json().getString("status"));
    finished(campaign);

    Map<String, Integer> received = mailsTo("a.example");
    assertEquals(140, received.size());
    assertTrue(received.values().stream().allMatch(n -> n == 1), "nobody got a mail twice");
    for (Cohort.Person p : none) {
      assertFalse(received.containsKey(p.email()));
    }
    JsonObject done =
        server.api().get("/api/v1/campaigns/" + campaign, network.anna().accessToken()).json();
    assertEquals("done", done.getString("status"));
    assertEquals(140, done.getJsonObject("recipients").getInteger("sent"));
    assertEquals(60, done.getJsonObject("recipients").getInteger("notSelected"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'campaign.sent' AND object_id = '"
                + campaign
                + "' AND details LIKE '%\"recipients\":140%'"));

    String csv =
        server
            .api()
            .get(
                "/api/v1/campaigns/" + campaign + "/recipient-export", network.anna().accessToken())
            .body();
    assertEquals(201, csv.split("\r\n").length, "a header and one line per listed patient");
    assertTrue(csv.contains(allowed.get(0).email()));
  }

  @Test
  void optOutLinkWithdrawsAndStopsTheNextMessage() throws Exception {
    List<Cohort.Person> people = Cohort.people("Optout", 3, "o.example");
    cohort.insert(people);
    cohort.permission(Cohort.ids(people), "email", "recall", "granted");
    UUID first = campaign("email", emailTemplate, Cohort.ids(people));
    assertEquals(202, send(first, Cohort.ids(people)).status());
    finished(first);
    String text = null;
    for (MimeMessage message : mail.getReceivedMessages()) {
      if (message.getAllRecipients()[0].toString().equals(people.get(0).email())) {
        text = GreenMailUtil.getBody(message);
      }
    }
    assertTrue(text != null, "the mail arrived");
    Matcher link =
        Pattern.compile("/opt-out#([A-Za-z0-9_-]{43})").matcher(text.replace("=\r\n", ""));
    assertTrue(link.find(), text);
    String token = link.group(1);
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM opt_out_tokens WHERE encode(token_hash, 'escape') LIKE '%"
                + token
                + "%'"),
        "only the hash of the token is kept");

    Api.Response used =
        server.api().post("/api/v1/opt-outs", new JsonObject().put("token", token), null);
    assertEquals(200, used.status(), used.body());
    assertEquals("recall", used.json().getString("purpose"));
    assertEquals(
        200,
        server.api().post("/api/v1/opt-outs", new JsonObject().put("token", token), null).status());
    assertEquals(
        404,
        server
            .api()
            .post("/api/v1/opt-outs", new JsonObject().put("token", "x".repeat(43)), null)
            .status());
    JsonObject permissions =
        server
            .api()
            .get(
                "/api/v1/patients/" + people.get(0).id() + "/contact-permissions",
                network.anna().accessToken())
            .json();
    assertEquals(
        "opted_out", permissions.getJsonArray("current").getJsonObject(0).getString("status"));
    assertEquals(2, permissions.getJsonArray("history").size(), "the opt-out is added, once");
    assertEquals(
        "opt_out_link", permissions.getJsonArray("history").getJsonObject(0).getString("source"));

    // the next campaign: the review says opted_out, and the server refuses a forced send
    UUID second = campaign("email", emailTemplate, Cohort.ids(people));
    JsonArray review = review(second);
    assertEquals("opted_out", review.getJsonObject(0).getString("reason"));
    assertEquals(409, send(second, Cohort.ids(people)).status());

    // a withdrawal while a campaign runs stops that patient's message
    server.wiring().campaignSender().stop();
    try {
      List<UUID> rest = Cohort.ids(people).subList(1, 3);
      assertEquals(202, send(second, rest).status());
      Api.Response withdrawn =
          server
              .api()
              .post(
                  "/api/v1/patients/" + people.get(1).id() + "/contact-permissions/withdrawal",
                  new JsonObject()
                      .put("channel", "email")
                      .put("purpose", "recall")
                      .put("date", java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString()),
                  network.anna().accessToken());
      assertEquals(201, withdrawn.status(), withdrawn.body());
      KonsilServer.await(server.wiring().campaignSender().round());
    } finally {
      server.wiring().campaignSender().start();
    }
    finished(second);
    JsonArray states =
        server
            .api()
            .get("/api/v1/campaigns/" + second + "/recipients", network.anna().accessToken())
            .array();
    Map<String, String> byPatient = new HashMap<>();
    for (Object o : states) {
      JsonObject r = (JsonObject) o;
      byPatient.put(r.getString("patientId"), r.getString("state") + "/" + r.getString("reason"));
    }
    assertEquals("not_selected/null", byPatient.get(people.get(0).id().toString()));
    assertEquals("failed/withdrawn", byPatient.get(people.get(1).id().toString()));
    assertEquals("sent/null", byPatient.get(people.get(2).id().toString()));
    Map<String, Integer> received = mailsTo("o.example");
    assertEquals(1, received.get(people.get(0).email()));
    assertEquals(1, received.get(people.get(1).email()), "only the first campaign's mail");
    assertEquals(2, received.get(people.get(2).email()));
  }

  @Test
  void restartMidCampaignLosesAndDuplicatesNothing() {
    List<Cohort.Person> people = Cohort.people("Restart", 120, "r.example");
    cohort.insert(people);
    cohort.permission(Cohort.ids(people), "email", "recall", "granted");
    UUID campaign = campaign("email", emailTemplate, Cohort.ids(people));
    server.wiring().campaignSender().stop();
    assertEquals(202, send(campaign, Cohort.ids(people)).status());
    // one throttled round (40), then the node stops as on SIGTERM and a new one starts
    KonsilServer.await(server.wiring().campaignSender().round());
    assertEquals(
        80,
        server.count(
            "SELECT count(*) FROM campaign_recipients WHERE state = 'queued' AND campaign_id = '"
                + campaign
                + "'"));
    server.restart();
    finished(campaign);
    Map<String, Integer> received = mailsTo("r.example");
    assertEquals(120, received.size());
    assertTrue(received.values().stream().allMatch(n -> n == 1), "nobody got a mail twice");
    assertEquals(
        120,
        server.count(
            "SELECT count(DISTINCT outbox_id) FROM campaign_recipients WHERE campaign_id = '"
                + campaign
                + "'"));
  }

  @Test
  void lettersComeAsOnePagePerAllowedRecipient() throws Exception {
    List<Cohort.Person> people = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      people.add(new Cohort.Person(UUID.randomUUID(), "Brief" + i, null, null, "1011" + i));
    }
    people.add(new Cohort.Person(UUID.randomUUID(), "Ohneadresse", null, null, null));
    people.add(new Cohort.Person(UUID.randomUUID(), "Falscheplz", null, null, "1234"));
    cohort.insert(people);
    cohort.permission(Cohort.ids(people), "letter", "recall", "granted");
    UUID letter =
        template(
            "letter",
            "Brief",
            "Ihre Kontrolle bei {{practice_name}}",
            "Guten Tag {{salutation}} {{family_name}},\n\nes ist Zeit für Ihre Kontrolle.\n"
                + "Telefon: {{practice_phone}}");
    UUID campaign = campaign("letter", letter, Cohort.ids(people));
    JsonArray review = review(campaign);
    assertEquals("no_address", review.getJsonObject(4).getString("reason"));
    assertEquals("invalid_address", review.getJsonObject(5).getString("reason"));
    assertEquals(409, send(campaign, Cohort.ids(people)).status());
    assertEquals(202, send(campaign, Cohort.ids(people).subList(0, 4)).status());
    finished(campaign);
    Api.Response pdf =
        server
            .api()
            .get("/api/v1/campaigns/" + campaign + "/letters", network.anna().accessToken());
    assertEquals(200, pdf.status());
    assertEquals("application/pdf", pdf.contentType());
    try (PDDocument document = Loader.loadPDF(pdf.bytes().getBytes())) {
      assertEquals(4, document.getNumberOfPages());
      PDFTextStripper stripper = new PDFTextStripper();
      for (int page = 1; page <= 4; page++) {
        stripper.setStartPage(page);
        stripper.setEndPage(page);
        String text = stripper.getText(document);
        assertTrue(text.contains("Brief" + (page - 1)), text);
        assertTrue(text.contains("Lindenallee 5"), text);
        assertTrue(text.contains("+49 30 1234567"), text);
        assertFalse(text.contains("1941"), "no birth date: " + text);
        assertFalse(text.contains("07.03."), "no birth date: " + text);
        assertFalse(text.contains(Cohort.INSURANCE), "no insurance number: " + text);
      }
    }
    Api.Response notLetters =
        server
            .api()
            .get(
                "/api/v1/campaigns/"
                    + campaign("email", emailTemplate, List.of(people.get(0).id()))
                    + "/letters",
                network.anna().accessToken());
    assertEquals(404, notLetters.status());
  }

  @Test
  void forbiddenMacrosAreRefusedWhenSavedWithTheMacroNamed() {
    long before = server.count("SELECT count(*) FROM message_templates");
    for (String[] bad :
        new String[][] {
          {"email", null, "Ihr Geburtstag: {{birth_date}}", "birth_date", "body"},
          {"email", null, "Nummer {{ insurance_number }}", "insurance_number", "body"},
          {"letter", null, "Befund: {{diagnosis}}", "diagnosis", "body"},
          {"sms", null, "Beruf {{profession}}", "profession", "body"},
          {"email", "Hallo {{family_name}}", "Text", "family_name", "subject"},
          {"letter", null, "Abmelden: {{opt_out_link}}", "opt_out_link", "body"},
        }) {
      JsonObject request =
          new JsonObject()
              .put("name", "Bad")
              .put("channel", bad[0])
              .put("language", "en")
              .put("body", bad[2]);
      if (bad[1] != null) {
        request.put("subject", bad[1]);
      }
      Api.Response refused =
          server.api().post("/api/v1/message-templates", request, network.anna().accessToken());
      assertEquals(422, refused.status(), refused.body());
      assertEquals("forbidden_macro", refused.code());
      assertEquals(bad[3], refused.json().getString("macro"));
      assertEquals(bad[4], refused.json().getString("field"));
      assertTrue(refused.json().getString("detail").contains("{{" + bad[3] + "}}"));
    }
    assertEquals(before, server.count("SELECT count(*) FROM message_templates"));
  }

  @Test
  void csvErrorsAreReportedPerLineAndAnotherOrganisationsPatientLooksUnknown() {
    List<Cohort.Person> people = Cohort.people("Csv", 2, "c.example");
    cohort.insert(people);
    UUID foreign = server.patient(network.eve(), "Fremd");
    UUID campaign = campaign("email", emailTemplate, List.of(people.get(0).id()));
    String csv =
        "patient_id\n"
            + people.get(1).id()
            + "\n"
            + UUID.randomUUID()
            + "\n"
            + foreign
            + "\n"
            + people.get(1).id()
            + "\n"
            + "not-an-id\n"
            + people.get(0).id()
            + "\n";
    Api.Response refused =
        server
            .api()
            .post(
                "/api/v1/campaigns/" + campaign + "/recipients",
                new JsonObject().put("csv", csv),
                network.anna().accessToken());
    assertEquals(422, refused.status(), refused.body());
    assertEquals("csv_invalid", refused.code());
    JsonArray errors = refused.json().getJsonArray("errors");
    assertEquals(5, errors.size(), errors.encode());
    assertEquals(
        new JsonObject()
            .put("line", 3)
            .put("code", "unknown_patient")
            .put("detail", "No such patient."),
        errors.getJsonObject(0));
    assertEquals(
        errors.getJsonObject(0).copy().put("line", 4),
        errors.getJsonObject(1),
        "another organisation's patient is reported exactly like an unknown one");
    assertEquals("duplicate", errors.getJsonObject(2).getString("code"));
    assertEquals(5, errors.getJsonObject(2).getInteger("line"));
    assertEquals("malformed", errors.getJsonObject(3).getString("code"));
    assertEquals("duplicate", errors.getJsonObject(4).getString("code"), "already on the list");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM campaign_recipients WHERE campaign_id = '" + campaign + "'"),
        "nothing was added");
    Api.Response added =
        server
            .api()
            .post(
                "/api/v1/campaigns/" + campaign + "/recipients",
                new JsonObject().put("csv", "id;name\n" + people.get(1).id() + ";Csv1\n"),
                network.anna().accessToken());
    assertEquals(200, added.status(), added.body());
    assertEquals(2, added.json().getJsonObject("recipients").getInteger("listed"));
  }

  @Test
  void smsCampaignGoesThroughTheGatewayOnceEvenWhileItIsDown() {
    List<Cohort.Person> people = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      people.add(
          new Cohort.Person(UUID.randomUUID(), "Sms" + i, null, "+4917010000" + (10 + i), null));
    }
    cohort.insert(people);
    cohort.permission(Cohort.ids(people), "sms", "recall", "granted");
    UUID sms =
        template(
            "sms",
            "Kurz",
            null,
            "{{salutation}} {{family_name}}: Ihre Praxis {{practice_name}} bittet um Rückruf unter"
                + " {{practice_phone}}.");
    UUID campaign = campaign("sms", sms, Cohort.ids(people));
    gateway.down();
    try {
      assertEquals(202, send(campaign, Cohort.ids(people)).status());
      Waiting.until(
          () -> {
            KonsilServer.await(server.wiring().smsOutbox().drain());
            return server.count(
                    "SELECT count(*) FROM outbox o JOIN campaign_recipients r ON r.outbox_id = o.id"
                        + " WHERE r.campaign_id = '"
                        + campaign
                        + "' AND o.status = 'queued' AND o.attempts >= 1")
                == 3;
          },
          "every SMS was tried once while the gateway was down");
    } finally {
      gateway.up();
    }
    server.clock.advance(java.time.Duration.ofSeconds(6));
    Waiting.until(
        () -> {
          KonsilServer.await(server.wiring().smsOutbox().drain());
          return server.count(
                  "SELECT count(*) FROM outbox o JOIN campaign_recipients r ON r.outbox_id = o.id"
                      + " WHERE r.campaign_id = '"
                      + campaign
                      + "' AND o.status = 'sent'")
              == 3;
        },
        "the SMS went out once the gateway was back");
    for (Cohort.Person p : people) {
      List<FakeSmsGateway.Sms> arrived =
          gateway.received().stream().filter(m -> m.to().equals(p.mobile())).toList();
      assertEquals(1, arrived.size(), "one SMS to " + p.mobile());
      String text = arrived.get(0).text();
      assertTrue(text.startsWith("Frau " + p.familyName() + ": Ihre Praxis"), text);
      assertTrue(text.contains("/opt-out#"), text);
      assertTrue(text.length() <= 480);
      for (String forbidden : List.of("1941", "07.03.", Cohort.INSURANCE, "Erika")) {
        assertFalse(text.contains(forbidden), forbidden + " in " + text);
      }
    }
    JsonArray states =
        server
            .api()
            .get("/api/v1/campaigns/" + campaign + "/recipients", network.anna().accessToken())
            .array();
    assertTrue(
        states.stream().allMatch(r -> "sent".equals(((JsonObject) r).getString("delivery"))),
        states.encode());
  }

  @Test
  void foreignCampaignsAreNotFound() {
    UUID campaign = campaign("email", emailTemplate, List.of());
    for (String path : List.of("", "/review", "/recipients", "/recipient-export")) {
      Api.Response foreign =
          server.api().get("/api/v1/campaigns/" + campaign + path, network.eve().accessToken());
      assertEquals(404, foreign.status(), path);
    }
  }

  @Test
  void previewFillsOnlyHarmlessMacrosAndNoBulkMessageCarriesTreatmentDataOrBirthDate()
      throws Exception {
    // a patient with a room whose messages carry a diagnosis
    CareNetwork.PatientRoom room = network.patientRoom("Sweep");
    server.sendRest(network.anna(), room.room(), "Befund: " + DIAGNOSIS);
    org.konsil.server.testkit.TestDatabase.execute(
        server.database(),
        "UPDATE patients SET email = 'sweep@s.example', insurance_number = '"
            + Cohort.INSURANCE
            + "' WHERE id = '"
            + room.patient()
            + "'");
    cohort.permission(List.of(room.patient()), "email", "recall", "granted");
    UUID campaign = campaign("email", emailTemplate, List.of(room.patient()));
    JsonObject preview =
        server
            .api()
            .get(
                "/api/v1/campaigns/" + campaign + "/preview?patientId=" + room.patient(),
                network.anna().accessToken())
            .json();
    assertTrue(
        preview.getString("text").contains("Guten Tag Frau Sweep")
            || preview.getString("text").contains("Sweep"),
        preview.encode());
    assertTrue(preview.getString("text").contains("(opt-out link)"));
    assertEquals(202, send(campaign, List.of(room.patient())).status());
    finished(campaign);

    // the sweep: every bulk message received in this class, e-mail and SMS
    for (FakeSmsGateway.Sms sms : gateway.received()) {
      for (String forbidden : List.of(DIAGNOSIS, "Befund", "1941", "07.03.", Cohort.INSURANCE)) {
        assertFalse(sms.text().contains(forbidden), forbidden + " in " + sms.text());
      }
    }
    int swept = 0;
    for (MimeMessage message : mail.getReceivedMessages()) {
      String subject = message.getSubject();
      String body = GreenMailUtil.getBody(message);
      for (String forbidden :
          List.of(DIAGNOSIS, "Befund", "1941", "07.03.", "03/07", Cohort.INSURANCE)) {
        assertFalse(body.contains(forbidden), forbidden + " in " + body);
        assertFalse(subject.contains(forbidden), forbidden + " in " + subject);
      }
      assertFalse(subject.contains("Erika"), "no patient data in the subject: " + subject);
      swept++;
    }
    assertTrue(swept >= 1);
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM outbox WHERE payload::text LIKE '%"
                + DIAGNOSIS
                + "%'"
                + " OR payload::text LIKE '%1941-03-07%'"));
  }
}
