package org.konsil.server.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;

/**
 * One search finds rooms, patients and messages, and nothing the user's organisation may not see:
 * no other organisation's patients or rooms, nothing of a revoked patient for partners, no masked
 * message for anyone.
 */
class SearchTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void organisations() {
    network = CareNetwork.create(server);
  }

  static Api.Response search(Session who, String q) {
    return server
        .api()
        .get("/api/v1/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8), who.accessToken());
  }

  static JsonObject found(Session who, String q) {
    Api.Response response = search(who, q);
    assertEquals(200, response.status(), response.body());
    return response.json();
  }

  static int count(JsonObject found, String list) {
    return found.getJsonArray(list).size();
  }

  @Test
  void thePartnerFindsThePatientTheRoomAndAMessageByPrefixAnOutsiderNothing() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Wagenknecht", "Wunde Wagenknecht");
    server.sendRest(network.anna(), patientRoom.room(), "Dekubitus an der linken Ferse, Grad 2");

    JsonObject atCareHome = found(network.tom(), "wagenknecht");
    JsonObject room = atCareHome.getJsonArray("rooms").getJsonObject(0);
    assertEquals(patientRoom.room().toString(), room.getString("id"));
    JsonObject patient = atCareHome.getJsonArray("patients").getJsonObject(0);
    assertEquals(patientRoom.patient().toString(), patient.getString("id"));
    assertFalse(patient.getBoolean("own"));
    assertEquals(new JsonArray().add(patientRoom.room().toString()), patient.getJsonArray("rooms"));

    JsonObject message =
        found(network.tom(), "Dekub ferse").getJsonArray("messages").getJsonObject(0);
    assertEquals(patientRoom.room().toString(), message.getString("room"));
    assertEquals("Wunde Wagenknecht", message.getString("roomTitle"));
    assertEquals("Dekubitus an der linken Ferse, Grad 2", message.getString("excerpt"));
    assertEquals(0, count(found(network.tom(), "dekubitus knie"), "messages"), "every word");

    for (String q : new String[] {"wagenknecht", "dekubitus", "erika"}) {
      JsonObject atOutsider = found(network.eve(), q);
      assertEquals(0, count(atOutsider, "rooms") + count(atOutsider, "patients"), q);
      assertEquals(0, count(atOutsider, "messages"), q);
    }
  }

  @Test
  void aPatientWithoutARoomIsFoundByItsOwnOrganisationOnly() {
    UUID patient = server.patient(network.anna(), "Zaunkoenig");
    JsonObject own = found(network.anna(), "zaunkoe");
    assertEquals(patient.toString(), own.getJsonArray("patients").getJsonObject(0).getString("id"));
    assertTrue(own.getJsonArray("patients").getJsonObject(0).getBoolean("own"));
    assertEquals(0, count(found(network.tom(), "zaunkoe"), "patients"));
    assertEquals(0, count(found(network.eve(), "zaunkoe"), "patients"));
  }

  @Test
  void afterARevocationPartnersFindNothingOfThePatientAndNobodyFindsItsMessages() {
    CareNetwork.PatientRoom patientRoom = network.patientRoom("Quellmalz", "Quellmalz Insulin");
    server.sendRest(network.tom(), patientRoom.room(), "Insulinschema angepasst");
    assertEquals(1, count(found(network.tom(), "insulinschema"), "messages"));
    Api.Response revoked =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/patients/" + patientRoom.patient() + "/revocation?date=2026-11-20",
                network.anna().accessToken(),
                null,
                null);
    assertEquals(200, revoked.status(), revoked.body());

    JsonObject atCareHome = found(network.tom(), "quellmalz");
    assertEquals(0, count(atCareHome, "rooms") + count(atCareHome, "patients"));
    assertEquals(0, count(found(network.tom(), "insulinschema"), "messages"));

    JsonObject atPractice = found(network.anna(), "quellmalz");
    assertEquals(1, count(atPractice, "rooms"), "the owner still finds its room");
    assertEquals(
        "revoked", atPractice.getJsonArray("patients").getJsonObject(0).getString("consent"));
    assertEquals(0, count(found(network.anna(), "insulinschema"), "messages"), "masked for all");
  }

  @Test
  void badQueriesAreRefusedAndQueryTextIsNeverSql() {
    for (String q : new String[] {"", "   ", "a", "%%", "x".repeat(101)}) {
      Api.Response refused = search(network.anna(), q);
      assertEquals(422, refused.status(), q);
      assertEquals("validation_failed", refused.code());
    }
    Api.Response missing = server.api().get("/api/v1/search", network.anna().accessToken());
    assertEquals(422, missing.status());
    JsonObject odd = found(network.anna(), "wag'ner & | ! :* ) -- ;");
    assertEquals(0, count(odd, "messages"));
    Api.Response anonymous = server.api().get("/api/v1/search?q=abc", null);
    assertEquals(401, anonymous.status());
  }

  @Test
  void everySearchIsAuditedWithCountsButNotTheWords() {
    found(network.tom(), "Schlummerbeere");
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM audit_events WHERE action = 'search.run' AND actor_user_id = '"
                + network.tom().userId()
                + "' AND details LIKE '%\"messages\":0%'"));
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM audit_events WHERE lower(details) LIKE '%schlummerbeere%'"));
  }
}
