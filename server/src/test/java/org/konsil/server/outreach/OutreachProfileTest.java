package org.konsil.server.outreach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.KonsilServer;

/**
 * A patient's tags and recall date: set, replaced and read, normalised (trimmed, each tag once in
 * its first spelling), every bad input refused with nothing stored, another organisation's patient
 * answered like an unknown one, the campaign's recipients picked by tag and by recall date (never
 * another organisation's patients), and gone with the patient's erasure.
 */
class OutreachProfileTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;
  static Cohort cohort;
  static Cohort outsiders;
  static String anna;
  static UUID letterTemplate;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
    anna = network.anna().accessToken();
    cohort = new Cohort(server, network.anna(), network.practice().id());
    outsiders = new Cohort(server, network.eve(), network.outsider().id());
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/message-templates",
                new JsonObject()
                    .put("name", "Recall-Brief")
                    .put("channel", "letter")
                    .put("language", "de")
                    .put("body", "Guten Tag {{salutation}} {{family_name}}, Ihr Recall steht an."),
                anna);
    assertEquals(201, created.status(), created.body());
    letterTemplate = UUID.fromString(created.json().getString("id"));
  }

  static UUID patient(Cohort of, String name) {
    Cohort.Person p = Cohort.people(name, 1, null).get(0);
    of.insert(List.of(p));
    return p.id();
  }

  static String path(UUID patient) {
    return "/api/v1/patients/" + patient + "/outreach-profile";
  }

  static Api.Response put(UUID patient, JsonObject body, String token) {
    return server.api().put(path(patient), body, token);
  }

  static JsonObject profile(List<String> tags, String recallDue) {
    return new JsonObject()
        .put("tags", new JsonArray(List.copyOf(tags)))
        .put("recallDue", recallDue);
  }

  static Api.Response set(UUID patient, List<String> tags, String recallDue) {
    Api.Response set = put(patient, profile(tags, recallDue), anna);
    assertEquals(200, set.status(), set.body());
    return set;
  }

  static long audited(String action, UUID patient) {
    return server.count(
        "SELECT count(*) FROM audit_events WHERE action = '"
            + action
            + "' AND object_id = '"
            + patient
            + "'");
  }

  @Test
  void tagsAndRecallDateAreSetReplacedAndReadNormalised() {
    UUID patient = patient(cohort, "Profil");
    Api.Response empty = server.api().get(path(patient), anna);
    assertEquals(200, empty.status(), empty.body());
    assertEquals(new JsonArray(), empty.json().getJsonArray("tags"));
    assertEquals(null, empty.json().getValue("recallDue"));
    assertEquals(patient.toString(), empty.json().getString("patientId"));

    Api.Response set =
        set(
            patient,
            List.of(" Diabetes ", "Vorsorge", "diabetes", "DIABETES", "\tHerz Kreislauf\n"),
            "2027-03-31");
    assertEquals(
        new JsonArray(List.of("Diabetes", "Vorsorge", "Herz Kreislauf")),
        set.json().getJsonArray("tags"));
    assertEquals("2027-03-31", set.json().getString("recallDue"));
    Api.Response read = server.api().get(path(patient), anna);
    assertEquals(set.json(), read.json());
    assertEquals(
        1,
        server.count(
            "SELECT count(*) FROM patient_outreach_profiles WHERE patient_id = '"
                + patient
                + "' AND tag_keys = ARRAY['diabetes', 'vorsorge', 'herz kreislauf']"
                + " AND organisation_id = '"
                + network.practice().id()
                + "'"));

    // PUT replaces: a tag left out is gone, the date changes, and both can be cleared
    Api.Response replaced = set(patient, List.of("Vorsorge", "Recall 2027"), "2027-04-01");
    assertEquals(
        new JsonArray(List.of("Vorsorge", "Recall 2027")), replaced.json().getJsonArray("tags"));
    assertEquals("2027-04-01", replaced.json().getString("recallDue"));
    Api.Response cleared = set(patient, List.of(), null);
    assertEquals(new JsonArray(), cleared.json().getJsonArray("tags"));
    assertEquals(null, cleared.json().getValue("recallDue"));
    assertEquals(cleared.json(), server.api().get(path(patient), anna).json());

    // twenty tags are fine, and a tag of exactly 40 characters
    List<String> twenty =
        java.util.stream.IntStream.rangeClosed(1, 20).mapToObj(i -> "Tag " + i).toList();
    assertEquals(20, set(patient, twenty, null).json().getJsonArray("tags").size());
    String forty = "x".repeat(40);
    assertEquals(
        forty,
        set(patient, List.of("  " + forty + "  "), null).json().getJsonArray("tags").getString(0));

    assertEquals(5, audited("outreach_profile.changed", patient));
    assertEquals(3, audited("outreach_profile.read", patient));
  }

  @Test
  void everyBadInputIsRefusedAndNothingIsStored() {
    UUID patient = patient(cohort, "Falsch");
    JsonObject before = set(patient, List.of("Vorsorge"), "2027-05-01").json();
    List<String> tooMany =
        java.util.stream.IntStream.rangeClosed(1, 21).mapToObj(i -> "Tag " + i).toList();
    List<JsonObject> bad =
        List.of(
            profile(tooMany, null),
            profile(List.of("Gut", "   "), null),
            profile(List.of(""), null),
            profile(List.of("x".repeat(41)), null),
            profile(List.of("Herz, Kreislauf"), null),
            profile(List.of("Herz\u0007"), null),
            profile(List.of("Gut"), "2027-02-30"),
            profile(List.of("Gut"), "31.03.2027"),
            profile(List.of("Gut"), "+12027-03-31"),
            new JsonObject().put("tags", new JsonArray().add("Gut")),
            new JsonObject().put("recallDue", "2027-03-31"),
            new JsonObject().put("tags", "Gut").put("recallDue", null),
            new JsonObject().put("tags", new JsonArray().add(7)).put("recallDue", null),
            new JsonObject().put("tags", new JsonArray()).put("recallDue", 20270331),
            profile(List.of("Gut"), null).put("birthDate", "1941-03-07"));
    for (JsonObject body : bad) {
      Api.Response refused = put(patient, body, anna);
      assertEquals(422, refused.status(), body + " -> " + refused.body());
      assertEquals("validation_failed", refused.code(), refused.body());
    }
    assertTrue(
        put(patient, profile(tooMany, null), anna)
            .json()
            .getString("detail")
            .contains("at most 20"));
    assertTrue(
        put(patient, profile(List.of("Gut", "   "), null), anna)
            .json()
            .getString("detail")
            .contains("'tags[1]' is blank"));
    assertTrue(
        put(patient, profile(List.of("x".repeat(41)), null), anna)
            .json()
            .getString("detail")
            .contains("longer than 40"));
    assertTrue(
        put(patient, profile(List.of("Gut"), "2027-02-30"), anna)
            .json()
            .getString("detail")
            .contains("'recallDue'"));
    assertEquals(before, server.api().get(path(patient), anna).json());
    assertEquals(1, audited("outreach_profile.changed", patient));
  }

  @Test
  void anotherOrganisationsPatientIsNotFoundLikeAnUnknownOne() {
    UUID foreign = patient(outsiders, "Fremdprofil");
    UUID unknown = UUID.randomUUID();
    for (String method : List.of("GET", "PUT")) {
      Api.Response theirs =
          method.equals("GET")
              ? server.api().get(path(foreign), anna)
              : put(foreign, profile(List.of("Vorsorge"), "2027-03-31"), anna);
      Api.Response none =
          method.equals("GET")
              ? server.api().get(path(unknown), anna)
              : put(unknown, profile(List.of("Vorsorge"), "2027-03-31"), anna);
      assertEquals(404, theirs.status(), theirs.body());
      assertEquals(none.status(), theirs.status());
      assertEquals(none.code(), theirs.code());
      assertEquals(none.json().getString("detail"), theirs.json().getString("detail"));
    }
    assertEquals(
        404, server.api().get("/api/v1/patients/not-a-uuid/outreach-profile", anna).status());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM patient_outreach_profiles WHERE patient_id IN ('"
                + foreign
                + "', '"
                + unknown
                + "')"));
    // and the other way round: Eve sets her patient's tags, Anna cannot read them
    Api.Response eves =
        put(foreign, profile(List.of("Vorsorge"), null), network.eve().accessToken());
    assertEquals(200, eves.status(), eves.body());
    assertEquals(404, server.api().get(path(foreign), anna).status());
  }

  static UUID campaign() {
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/campaigns",
                new JsonObject()
                    .put("name", "Recall")
                    .put("channel", "letter")
                    .put("purpose", "recall")
                    .put("templateId", letterTemplate.toString()),
                anna);
    assertEquals(201, created.status(), created.body());
    return UUID.fromString(created.json().getString("id"));
  }

  static Api.Response add(UUID campaign, JsonObject selection) {
    return server.api().post("/api/v1/campaigns/" + campaign + "/recipients", selection, anna);
  }

  static Set<UUID> listed(UUID campaign) {
    Api.Response list = server.api().get("/api/v1/campaigns/" + campaign + "/recipients", anna);
    assertEquals(200, list.status(), list.body());
    return list.array().stream()
        .map(o -> UUID.fromString(((JsonObject) o).getString("patientId")))
        .collect(Collectors.toSet());
  }

  @Test
  void recipientsArePickedByTagAndByRecallDueAndNeverAnotherOrganisations() {
    UUID lower = patient(cohort, "Taglower");
    UUID upper = patient(cohort, "Tagupper");
    UUID dueEarly = patient(cohort, "Dueearly");
    UUID dueLate = patient(cohort, "Duelate");
    UUID untagged = patient(cohort, "Ohne");
    UUID foreign = patient(outsiders, "Fremdtag");
    set(lower, List.of("Vorsorge", "kohorte-rx"), null);
    set(upper, List.of("KOHORTE-RX"), "1995-01-10");
    set(dueEarly, List.of("Andere"), "1995-02-01");
    set(dueLate, List.of("kohorte-r"), "1995-03-01");
    set(untagged, List.of(), null);
    Api.Response eves =
        put(foreign, profile(List.of("Kohorte-RX"), "1995-01-01"), network.eve().accessToken());
    assertEquals(200, eves.status(), eves.body());

    UUID byTag = campaign();
    Api.Response added = add(byTag, new JsonObject().put("tag", " Kohorte-Rx "));
    assertEquals(200, added.status(), added.body());
    assertEquals(Set.of(lower, upper), listed(byTag));

    UUID byRecall = campaign();
    added = add(byRecall, new JsonObject().put("recallDueBy", "1995-02-01"));
    assertEquals(200, added.status(), added.body());
    assertEquals(Set.of(upper, dueEarly), listed(byRecall));
    // the same filter again adds nobody twice
    assertEquals(200, add(byRecall, new JsonObject().put("recallDueBy", "1995-02-01")).status());
    assertEquals(Set.of(upper, dueEarly), listed(byRecall));

    UUID none = campaign();
    for (JsonObject selection :
        List.of(
            new JsonObject().put("tag", "   "),
            new JsonObject().put("tag", "x".repeat(41)),
            new JsonObject().put("tag", 5),
            new JsonObject().put("recallDueBy", "1995-02-30"),
            new JsonObject().put("recallDueBy", "01.02.1995"),
            new JsonObject().put("recallDueBy", null),
            new JsonObject().put("tag", "kohorte-rx").put("recallDueBy", "1995-02-01"),
            new JsonObject().put("tag", "kohorte-rx").put("allPatients", true))) {
      Api.Response refused = add(none, selection);
      assertEquals(422, refused.status(), selection + " -> " + refused.body());
      assertEquals("validation_failed", refused.code());
    }
    assertTrue(
        add(none, new JsonObject().put("tag", "a").put("recallDueBy", "1995-02-01"))
            .json()
            .getString("detail")
            .contains("'tag', 'recallDueBy'"));
    assertEquals(Set.of(), listed(none));
    // a tag nobody has picks nobody
    assertEquals(200, add(none, new JsonObject().put("tag", "niemand-hat-das")).status());
    assertEquals(Set.of(), listed(none));
  }

  @Test
  void erasureRemovesTheProfile() {
    UUID patient = patient(cohort, "Vergessen");
    set(patient, List.of("kohorte-erased"), "1990-01-01");
    Api.Response erased = server.api().post("/api/v1/patients/" + patient + "/erasure", null, anna);
    assertTrue(erased.status() < 300, erased.body());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM patient_outreach_profiles WHERE patient_id = '" + patient + "'"));
    assertEquals(404, server.api().get(path(patient), anna).status());
    UUID campaign = campaign();
    assertEquals(200, add(campaign, new JsonObject().put("tag", "kohorte-erased")).status());
    assertEquals(Set.of(), listed(campaign));
  }
}
