package org.konsil.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.konsil.db.DatabaseSettings;

/**
 * A campaign of many e-mails to a local SMTP server: patients with an e-mail address and a
 * permission are written straight into the database, one node sends the campaign through its
 * campaign sender and mail outbox, and the benchmark reports how long until every recipient is
 * handed to the outbox and until the SMTP server has every message, and the node's resident memory
 * meanwhile. Usage: {@code java -cp konsil-bench.jar org.konsil.bench.CampaignBench [recipients]
 * [server jar]}; the campaign rate is KONSIL_CAMPAIGN_RATE_PER_SECOND (1000 here).
 */
public final class CampaignBench {

  private CampaignBench() {}

  public static void main(String[] args) throws Exception {
    int recipients = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Path jar = Path.of(args.length > 1 ? args[1] : "server/target/konsil.jar");
    try (SmtpSink smtp = new SmtpSink();
        SystemUnderTest sut = SystemUnderTest.withEmbeddedDatabase(jar)) {
      sut.extraEnvironment().put("KONSIL_SMTP_HOST", "127.0.0.1");
      sut.extraEnvironment().put("KONSIL_SMTP_PORT", Integer.toString(smtp.port()));
      sut.extraEnvironment().put("KONSIL_SMTP_SECURITY", "none");
      sut.extraEnvironment().put("KONSIL_CAMPAIGN_RATE_PER_SECOND", "1000");
      List<Seeder.Org> orgs = Seeder.seed(sut.environment(), "campaign", 1, 1);
      String admin = orgs.get(0).emails().get(0);
      long seeded = System.nanoTime();
      fill(sut.database(), orgs.get(0).id(), admin, recipients);
      System.out.printf(
          "stored %,d patients with permissions in %.1f s%n",
          recipients, (System.nanoTime() - seeded) / 1e9);
      String url = sut.startNodes(1, false).get(0);
      long pid = sut.nodes().get(0).process().pid();
      HttpClient http = HttpClient.newHttpClient();
      String token =
          call(
                  http,
                  url,
                  "POST",
                  "/api/v1/auth/login",
                  null,
                  new JsonObject().put("email", admin).put("password", Seeder.PASSWORD))
              .getString("accessToken");
      String template =
          call(
                  http,
                  url,
                  "POST",
                  "/api/v1/message-templates",
                  token,
                  new JsonObject()
                      .put("name", "Recall")
                      .put("channel", "email")
                      .put("language", "de")
                      .put("subject", "Ihre Praxis {{practice_name}}")
                      .put(
                          "body",
                          "Guten Tag {{salutation}} {{family_name}},\n\nbitte vereinbaren Sie einen"
                              + " Termin zur Kontrolle. Telefon {{practice_phone}}."))
              .getString("id");
      String campaign =
          call(
                  http,
                  url,
                  "POST",
                  "/api/v1/campaigns",
                  token,
                  new JsonObject()
                      .put("name", "Bench")
                      .put("channel", "email")
                      .put("purpose", "recall")
                      .put("templateId", template))
              .getString("id");
      call(
          http,
          url,
          "POST",
          "/api/v1/campaigns/" + campaign + "/recipients",
          token,
          new JsonObject().put("allPatients", true));
      JsonArray review =
          new JsonArray(
              send(http, url, "GET", "/api/v1/campaigns/" + campaign + "/review", token, null));
      JsonArray ids = new JsonArray();
      review.forEach(row -> ids.add(((JsonObject) row).getString("patientId")));
      long before = ProcStats.residentBytes(pid);
      AtomicLong peak = new AtomicLong(before);
      Thread sampler =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  peak.accumulateAndGet(ProcStats.residentBytes(pid), Math::max);
                  try {
                    Thread.sleep(100);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      sampler.setDaemon(true);
      sampler.start();
      long started = System.nanoTime();
      call(
          http,
          url,
          "POST",
          "/api/v1/campaigns/" + campaign + "/send",
          token,
          new JsonObject().put("patientIds", ids));
      double handedOver = -1;
      while (smtp.messages() < recipients) {
        if (handedOver < 0) {
          JsonObject state = call(http, url, "GET", "/api/v1/campaigns/" + campaign, token, null);
          if ("done".equals(state.getString("status"))) {
            handedOver = (System.nanoTime() - started) / 1e9;
          }
        }
        if ((System.nanoTime() - started) / 1e9 > 1800) {
          throw new IllegalStateException("not done after 30 minutes: " + smtp.messages());
        }
        Thread.sleep(200);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      sampler.interrupt();
      System.out.printf(
          "campaign of %,d e-mails: all handed to the outbox after %.1f s (%,.0f/s), all received"
              + " by the SMTP server after %.1f s (%,.0f messages/s, %,d bytes); node resident"
              + " memory %.0f MiB before, %.0f MiB at most while sending; review list of %,d"
              + " rows; server options: %s%n",
          recipients,
          handedOver,
          recipients / handedOver,
          seconds,
          recipients / seconds,
          smtp.bytes(),
          before / 1048576.0,
          peak.get() / 1048576.0,
          review.size(),
          System.getenv("KONSIL_BENCH_SERVER_JAVA_OPTIONS"));
    }
  }

  private static JsonObject call(
      HttpClient http, String url, String method, String path, String token, JsonObject body)
      throws Exception {
    return new JsonObject(send(http, url, method, path, token, body));
  }

  private static String send(
      HttpClient http, String url, String method, String path, String token, JsonObject body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + path + ": " + response.body());
    }
    return response.body();
  }

  /** The patients, each with an address and a signed permission, written as the schema owner. */
  private static void fill(DatabaseSettings database, UUID organisation, String admin, int patients)
      throws Exception {
    try (Connection c =
            DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
        Statement s = c.createStatement()) {
      UUID user;
      try (ResultSet rows =
          s.executeQuery("SELECT id FROM users WHERE email = '" + admin.replace("'", "") + "'")) {
        rows.next();
        user = UUID.fromString(rows.getString(1));
      }
      UUID form = UUID.randomUUID();
      s.execute(
          ("INSERT INTO stored_files (id, media_type, size_bytes, sha256, created_by, created_at)"
                  + " VALUES ('%s', 'application/pdf', 1, '\\x00', '%s', now())")
              .formatted(form, user));
      s.execute(
          ("INSERT INTO patients (id, organisation_id, family_name, given_name, birth_date,"
                  + " created_by, created_at, email, salutation)"
                  + " SELECT gen_random_uuid(), '%s', 'Muster' || g, 'Erika', date '1950-01-01' + g,"
                  + " '%s', now(), 'patient' || g || '@example.org', 'Frau'"
                  + " FROM generate_series(1, %d) g")
              .formatted(organisation, user, patients));
      s.execute(
          ("INSERT INTO contact_permissions (id, patient_id, channel, purpose, kind,"
                  + " effective_date, source, file_id, recorded_by, recorded_at)"
                  + " SELECT gen_random_uuid(), id, 'email', 'recall', 'granted', current_date,"
                  + " 'signed_form', '%s', '%s', now() FROM patients WHERE organisation_id = '%s'")
              .formatted(form, user, organisation));
    }
  }
}
