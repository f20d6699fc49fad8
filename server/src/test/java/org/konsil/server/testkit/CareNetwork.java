package org.konsil.server.testkit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;

/**
 * The care network most tests work in: a practice whose admin is Anna, a care home where Tom is a
 * member, and an outsider organisation whose admin Eve belongs to none of their rooms; all three
 * are logged in. Make it once per class with {@code network = CareNetwork.create(server)} in
 * {@code @BeforeAll}.
 */
public record CareNetwork(
    KonsilServer server,
    TestOrg practice,
    TestOrg careHome,
    TestOrg outsider,
    Session anna,
    Session tom,
    Session eve) {

  /** A patient of the practice, the consent that covers the care home, and a room about them. */
  public record PatientRoom(UUID patient, UUID consent, UUID room) {}

  /** Creates the three organisations and their people on the server, and logs them in. */
  public static CareNetwork create(KonsilServer server) {
    TestOrg practice = server.organisation("practice");
    TestOrg careHome = server.organisation("care_home");
    TestOrg outsider = server.organisation("pharmacy");
    return new CareNetwork(
        server,
        practice,
        careHome,
        outsider,
        server.login(practice.admin()),
        server.login(server.user(careHome)),
        server.login(outsider.admin()));
  }

  /**
   * A patient of the practice with this family name, a consent document covering the care home, and
   * a patient room that Anna opened with the care home.
   */
  public PatientRoom patientRoom(String familyName) {
    UUID patient = server.patient(anna, familyName);
    UUID consent = consentForCareHome(patient);
    Api.Response room = server.patientRoom(anna, patient, careHome.id());
    return new PatientRoom(patient, consent, created(room, "patient room"));
  }

  /** The same with a room title of the test's choosing (titles may name the patient). */
  public PatientRoom patientRoom(String familyName, String title) {
    UUID patient = server.patient(anna, familyName);
    UUID consent = consentForCareHome(patient);
    Api.Response room =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("kind", "patient")
                    .put("patientId", patient.toString())
                    .put("title", title)
                    .put("partnerOrganisationIds", new JsonArray().add(careHome.id().toString())),
                anna.accessToken());
    return new PatientRoom(patient, consent, created(room, "patient room"));
  }

  private UUID consentForCareHome(UUID patient) {
    return created(
        server.uploadConsent(anna, patient, Documents.pdf(), "application/pdf", careHome.id()),
        "consent upload");
  }

  private static UUID created(Api.Response response, String what) {
    if (response.status() != 201) {
      throw new AssertionError(what + " failed: " + response.status() + " " + response.body());
    }
    return UUID.fromString(response.json().getString("id"));
  }
}
