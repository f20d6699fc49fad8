package org.konsil.server.outreach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestDatabase;

/**
 * Contact permissions per channel and purpose: granted with a signed form (checked like a consent
 * document), withdrawn with a date, kept as history that nobody overwrites, for the patient's own
 * organisation only.
 */
class ContactPermissionTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static Api.Response grant(
      Session session,
      UUID patient,
      String channels,
      String purposes,
      String date,
      Buffer doc,
      String type) {
    return server
        .api()
        .send(
            HttpMethod.POST,
            "/api/v1/patients/"
                + patient
                + "/contact-permissions?channels="
                + channels
                + "&purposes="
                + purposes
                + "&date="
                + date,
            session.accessToken(),
            type,
            doc);
  }

  static String today() {
    return LocalDate.ofInstant(server.clock.instant(), ZoneOffset.UTC).toString();
  }

  @Test
  void grantWithSignedFormWithdrawAndKeepTheHistory() {
    UUID patient = server.patient(network.anna(), "Permission");
    Api.Response granted =
        grant(
            network.anna(),
            patient,
            "email,letter",
            "recall",
            "2026-01-15",
            Documents.pdf(),
            "application/pdf");
    assertEquals(201, granted.status(), granted.body());
    JsonArray rows = granted.array();
    assertEquals(2, rows.size());
    assertEquals("signed_form", rows.getJsonObject(0).getString("source"));
    String permissionId = rows.getJsonObject(0).getString("id");

    Api.Response document =
        server
            .api()
            .get(
                "/api/v1/contact-permissions/" + permissionId + "/document",
                network.anna().accessToken());
    assertEquals(200, document.status());
    assertEquals("application/pdf", document.contentType());

    Api.Response withdrawn =
        server
            .api()
            .post(
                "/api/v1/patients/" + patient + "/contact-permissions/withdrawal",
                new JsonObject()
                    .put("channel", "email")
                    .put("purpose", "recall")
                    .put("date", today()),
                network.anna().accessToken());
    assertEquals(201, withdrawn.status(), withdrawn.body());
    assertEquals("withdrawn", withdrawn.json().getString("kind"));

    Api.Response again =
        server
            .api()
            .post(
                "/api/v1/patients/" + patient + "/contact-permissions/withdrawal",
                new JsonObject()
                    .put("channel", "email")
                    .put("purpose", "recall")
                    .put("date", today()),
                network.anna().accessToken());
    assertEquals(409, again.status());
    assertEquals("permission_not_granted", again.code());

    JsonObject view =
        server
            .api()
            .get(
                "/api/v1/patients/" + patient + "/contact-permissions",
                network.anna().accessToken())
            .json();
    assertEquals(
        3, view.getJsonArray("history").size(), "history keeps the grant and the withdrawal");
    JsonArray current = view.getJsonArray("current");
    assertEquals(2, current.size());
    for (Object o : current) {
      JsonObject c = (JsonObject) o;
      assertEquals(
          "email".equals(c.getString("channel")) ? "withdrawn" : "granted", c.getString("status"));
    }
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'contact_permission.granted' AND object_id = '"
                + patient
                + "'"));
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'contact_permission.withdrawn' AND object_id = '"
                + patient
                + "'"));

    // the history cannot be overwritten, not even by the database's superuser
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () ->
                TestDatabase.execute(
                    server.database(),
                    "UPDATE contact_permissions SET kind = 'granted' WHERE patient_id = '"
                        + patient
                        + "'"));
    assertTrue(refused.getMessage().contains("never changed"), refused.getMessage());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM contact_permissions WHERE kind = 'withdrawn' AND patient_id = '"
                + patient
                + "'"));
  }

  @Test
  void badGrantsStoreNothing() {
    UUID patient = server.patient(network.anna(), "Badgrant");
    long files = server.count("SELECT count(*) FROM stored_files");
    Api.Response executable =
        grant(
            network.anna(),
            patient,
            "email",
            "recall",
            "2026-01-15",
            Documents.executable(),
            "application/pdf");
    assertEquals(415, executable.status());
    assertEquals("unsupported_file_type", executable.code());
    Api.Response purpose =
        grant(
            network.anna(),
            patient,
            "email",
            "lottery",
            "2026-01-15",
            Documents.pdf(),
            "application/pdf");
    assertEquals(422, purpose.status());
    assertEquals("validation_failed", purpose.code());
    Api.Response channel =
        grant(
            network.anna(),
            patient,
            "pigeon",
            "recall",
            "2026-01-15",
            Documents.pdf(),
            "application/pdf");
    assertEquals(422, channel.status());
    Api.Response future =
        grant(
            network.anna(),
            patient,
            "email",
            "recall",
            "2999-01-01",
            Documents.pdf(),
            "application/pdf");
    assertEquals(422, future.status());
    Api.Response foreign =
        grant(
            network.eve(),
            patient,
            "email",
            "recall",
            "2026-01-15",
            Documents.pdf(),
            "application/pdf");
    assertEquals(404, foreign.status());
    assertEquals("not_found", foreign.code());
    assertEquals(
        404,
        server
            .api()
            .get(
                "/api/v1/patients/" + patient + "/contact-permissions", network.eve().accessToken())
            .status());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM contact_permissions WHERE patient_id = '" + patient + "'"));
    assertEquals(files, server.count("SELECT count(*) FROM stored_files"));
  }

  @Test
  void organisationKeepsItsOwnPurposes() {
    JsonArray defaults =
        server.api().get("/api/v1/contact-purposes", network.anna().accessToken()).array();
    assertEquals(3, defaults.size());
    Api.Response added =
        server
            .api()
            .post(
                "/api/v1/contact-purposes",
                new JsonObject().put("code", "flu_vaccination").put("label", "Grippeimpfung"),
                network.anna().accessToken());
    assertEquals(201, added.status(), added.body());
    assertEquals(4, added.array().size());
    Api.Response twice =
        server
            .api()
            .post(
                "/api/v1/contact-purposes",
                new JsonObject().put("code", "recall").put("label", "Recall"),
                network.anna().accessToken());
    assertEquals(409, twice.status());
    assertEquals("purpose_exists", twice.code());
    assertEquals(
        3,
        server.api().get("/api/v1/contact-purposes", network.eve().accessToken()).array().size());
    UUID patient = server.patient(network.anna(), "Flu");
    assertEquals(
        201,
        grant(
                network.anna(),
                patient,
                "sms",
                "flu_vaccination",
                "2026-01-15",
                Documents.png(),
                "image/png")
            .status());
  }

  @Test
  void postalAddressOnThePatient() {
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/patients",
                new JsonObject()
                    .put("familyName", "Brief")
                    .put("givenName", "Berta")
                    .put("birthDate", "1950-02-03")
                    .put(
                        "postalAddress",
                        new JsonObject()
                            .put("salutation", "Frau")
                            .put("street", "Hauptstraße 1")
                            .put("postcode", "10115")
                            .put("city", "Berlin")),
                network.anna().accessToken());
    assertEquals(201, created.status(), created.body());
    assertEquals("Berlin", created.json().getJsonObject("postalAddress").getString("city"));
    String id = created.json().getString("id");
    Api.Response changed =
        server
            .api()
            .put(
                "/api/v1/patients/" + id + "/postal-address",
                new JsonObject()
                    .put("street", "Nebenweg 2")
                    .put("postcode", "20095")
                    .put("city", "Hamburg"),
                network.anna().accessToken());
    assertEquals(200, changed.status(), changed.body());
    assertEquals("Hamburg", changed.json().getJsonObject("postalAddress").getString("city"));
    assertEquals(null, changed.json().getJsonObject("postalAddress").getString("salutation"));
    Api.Response foreign =
        server
            .api()
            .put(
                "/api/v1/patients/" + id + "/postal-address",
                new JsonObject().put("city", "Nowhere"),
                network.eve().accessToken());
    assertEquals(404, foreign.status());
    Api.Response tooLong =
        server
            .api()
            .put(
                "/api/v1/patients/" + id + "/postal-address",
                new JsonObject().put("city", "x".repeat(101)),
                network.anna().accessToken());
    assertEquals(422, tooLong.status());
    assertEquals(1, server.count("SELECT count(*) FROM patients WHERE city = 'Hamburg'"));
  }
}
