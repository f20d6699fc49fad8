package org.konsil.server.patients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;

/**
 * A patient's e-mail address and mobile number: checked and normalised, changed on their own, seen
 * by the patient's organisation only (in the API and its FHIR export), never by partners.
 */
class PatientContactTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  private static Api.Response create(String family, String email, String mobile) {
    JsonObject body =
        new JsonObject()
            .put("familyName", family)
            .put("givenName", "Erika")
            .put("birthDate", "1950-04-23");
    if (email != null) {
      body.put("email", email);
    }
    if (mobile != null) {
      body.put("mobile", mobile);
    }
    return server.api().post("/api/v1/patients", body, network.anna().accessToken());
  }

  @Test
  void contactDetailsAreNormalisedAndChangedOnTheirOwn() {
    Api.Response created = create("Kontakt", " Erika.Kontakt@Example.ORG ", "0170 123 45 67");
    assertEquals(201, created.status(), created.body());
    assertEquals("erika.kontakt@example.org", created.json().getString("email"));
    assertEquals("+491701234567", created.json().getString("mobile"));
    String id = created.json().getString("id");

    Api.Response changed =
        server
            .api()
            .patch(
                "/api/v1/patients/" + id,
                new JsonObject().put("mobile", "+49 (0)171/2345-678"),
                network.anna().accessToken());
    assertEquals(200, changed.status(), changed.body());
    assertEquals("+491712345678", changed.json().getString("mobile"));
    assertEquals("erika.kontakt@example.org", changed.json().getString("email"), "kept");

    Api.Response cleared =
        server
            .api()
            .patch(
                "/api/v1/patients/" + id,
                new JsonObject().putNull("email").put("mobile", "0041 79 123 45 67"),
                network.anna().accessToken());
    assertEquals(200, cleared.status(), cleared.body());
    assertNull(cleared.json().getString("email"));
    assertEquals("+41791234567", cleared.json().getString("mobile"));
    JsonObject read =
        server.api().get("/api/v1/patients/" + id, network.anna().accessToken()).json();
    assertNull(read.getString("email"));
    assertEquals("+41791234567", read.getString("mobile"));

    // the audit trail names the changed fields, never the values
    JsonArray trail =
        server.api().get("/api/v1/audit-events?limit=20", network.anna().accessToken()).array();
    String changes =
        trail.stream()
            .map(JsonObject.class::cast)
            .filter(e -> "patient.contact_changed".equals(e.getString("action")))
            .map(JsonObject::encode)
            .reduce("", String::concat);
    assertTrue(changes.contains("mobile"), changes);
    assertFalse(changes.contains("41791234567") || changes.contains("example.org"), changes);
  }

  @Test
  void badContactDetailsAreRefusedWithTheirOwnCodesAndNothingIsStored() {
    long before = server.count("SELECT count(*) FROM patients");
    for (String email : new String[] {"erika", "erika@", "@example.org", "er ika@example.org"}) {
      Api.Response refused = create("Falsch", email, null);
      assertEquals(422, refused.status(), email);
      assertEquals("invalid_email", refused.code(), email);
    }
    // a landline, too short, letters, a German number that is no mobile number
    for (String mobile : new String[] {"12", "0170 12ab567", "030 1234567", "+49 30 1234567"}) {
      Api.Response refused = create("Falsch", null, mobile);
      assertEquals(422, refused.status(), mobile);
      assertEquals("invalid_mobile", refused.code(), mobile);
    }
    assertEquals(before, server.count("SELECT count(*) FROM patients"), "nothing stored");

    String id = create("Richtig", "r@example.org", "01511234567").json().getString("id");
    Api.Response badChange =
        server
            .api()
            .patch(
                "/api/v1/patients/" + id,
                new JsonObject().put("mobile", "0800 123"),
                network.anna().accessToken());
    assertEquals("invalid_mobile", badChange.code());
    Api.Response otherField =
        server
            .api()
            .patch(
                "/api/v1/patients/" + id,
                new JsonObject().put("familyName", "Anders"),
                network.anna().accessToken());
    assertEquals("validation_failed", otherField.code());
    Api.Response nothing =
        server
            .api()
            .patch("/api/v1/patients/" + id, new JsonObject(), network.anna().accessToken());
    assertEquals("validation_failed", nothing.code());
    JsonObject unchanged =
        server.api().get("/api/v1/patients/" + id, network.anna().accessToken()).json();
    assertEquals("+491511234567", unchanged.getString("mobile"));
    assertEquals("Richtig", unchanged.getString("familyName"));
  }

  @Test
  void partnersAndOutsidersNeverSeeTheContactDetails() {
    CareNetwork.PatientRoom room = network.patientRoom("Partnerblick");
    Api.Response set =
        server
            .api()
            .patch(
                "/api/v1/patients/" + room.patient(),
                new JsonObject()
                    .put("email", "partnerblick@example.org")
                    .put("mobile", "0160 9876543"),
                network.anna().accessToken());
    assertEquals(200, set.status(), set.body());

    // the care home's member in the room: the room, the room list, the search
    String tom = network.tom().accessToken();
    for (String path :
        new String[] {
          "/api/v1/rooms/" + room.room(), "/api/v1/rooms", "/api/v1/search?q=Partnerblick"
        }) {
      Api.Response seen = server.api().get(path, tom);
      assertEquals(200, seen.status(), path + " " + seen.body());
      assertTrue(
          path.contains("search") || seen.body().contains("Partnerblick"),
          "the partner sees the patient's name: " + path);
      assertFalse(seen.body().contains("partnerblick@example.org"), path);
      assertFalse(seen.body().contains("9876543"), path);
    }
    assertEquals(
        404, server.api().get("/api/v1/patients/" + room.patient(), tom).status(), "not theirs");
    Api.Response partnerChange =
        server
            .api()
            .patch(
                "/api/v1/patients/" + room.patient(),
                new JsonObject().put("mobile", "0170 0000000"),
                tom);
    assertEquals(404, partnerChange.status());
    Api.Response outsider =
        server
            .api()
            .patch(
                "/api/v1/patients/" + room.patient(),
                new JsonObject().putNull("email"),
                network.eve().accessToken());
    assertEquals(404, outsider.status());
    assertEquals("not_found", outsider.code());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM patients WHERE email = 'partnerblick@example.org'"
                + " AND mobile = '+491609876543' AND id = '"
                + room.patient()
                + "'"),
        "nothing changed by the refused requests");

    // the patient's organisation's FHIR export carries them as telecom; the partner may not export
    Api.Response bundle =
        server.api().get("/api/v1/rooms/" + room.room() + "/fhir", network.anna().accessToken());
    assertEquals(200, bundle.status(), bundle.body());
    JsonObject patient =
        new JsonObject(bundle.body())
            .getJsonArray("entry").stream()
                .map(e -> ((JsonObject) e).getJsonObject("resource"))
                .filter(r -> "Patient".equals(r.getString("resourceType")))
                .findFirst()
                .orElseThrow();
    JsonArray telecom = patient.getJsonArray("telecom");
    assertEquals(2, telecom.size(), patient.encode());
    assertEquals("email", telecom.getJsonObject(0).getString("system"));
    assertEquals("partnerblick@example.org", telecom.getJsonObject(0).getString("value"));
    assertEquals("sms", telecom.getJsonObject(1).getString("system"));
    assertEquals("+491609876543", telecom.getJsonObject(1).getString("value"));
    Api.Response partnerExport = server.api().get("/api/v1/rooms/" + room.room() + "/fhir", tom);
    assertFalse(partnerExport.body().contains("partnerblick@example.org"));
    assertEquals(403, partnerExport.status());
    UUID unused = UUID.randomUUID();
    assertEquals(
        404,
        server
            .api()
            .patch(
                "/api/v1/patients/" + unused,
                new JsonObject().putNull("email"),
                network.anna().accessToken())
            .status());
  }
}
