package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.KonsilServer.TestOrg;
import org.konsil.server.testkit.Waiting;

/**
 * A refused access to another organisation's room, patient, consent document or attachment is
 * audited in the prober's trail and in the owner's; the prober learns nothing from it.
 */
class CrossOrganisationRefusalTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static final Pattern ATTACHMENT_ID = Pattern.compile("attachmentId[^0-9a-f]*([0-9a-f-]{36})");

  static TestOrg clinic;
  static TestOrg prober;
  static Session clinicAdmin;
  static Session proberUser;
  static Session proberAdmin;
  static UUID patient;
  static UUID consent;
  static UUID patientRoom;
  static UUID generalRoom;
  static UUID attachment;

  @BeforeAll
  static void setUp() {
    clinic = server.organisation("clinic");
    TestOrg careHome = server.organisation("care_home");
    prober = server.organisation("practice");
    clinicAdmin = server.login(clinic.admin());
    proberAdmin = server.login(prober.admin());
    proberUser = server.login(server.user(prober));

    patient = server.patient(clinicAdmin, "Probe");
    Api.Response uploaded =
        server.uploadConsent(
            clinicAdmin, patient, Documents.pdf(), "application/pdf", careHome.id());
    assertEquals(201, uploaded.status(), uploaded.body());
    consent = UUID.fromString(uploaded.json().getString("id"));
    Api.Response room = server.patientRoom(clinicAdmin, patient, careHome.id());
    assertEquals(201, room.status(), room.body());
    patientRoom = UUID.fromString(room.json().getString("id"));
    generalRoom = server.room(clinicAdmin, careHome.id());
    Api.Response attached =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/" + patientRoom + "/attachments?clientMsgId=" + UUID.randomUUID(),
                clinicAdmin.accessToken(),
                "image/png",
                Documents.png());
    assertEquals(201, attached.status(), attached.body());
    Matcher found =
        ATTACHMENT_ID.matcher(
            server
                .api()
                .get("/api/v1/rooms/" + patientRoom + "/messages", clinicAdmin.accessToken())
                .body());
    assertTrue(found.find());
    attachment = UUID.fromString(found.group(1));
  }

  static JsonArray trail(Session admin) {
    Api.Response listed = server.api().get("/api/v1/audit-events?limit=500", admin.accessToken());
    assertEquals(200, listed.status(), listed.body());
    return listed.array();
  }

  static boolean hasDenied(Session admin, String action, UUID object) {
    return trail(admin).stream()
        .map(JsonObject.class::cast)
        .anyMatch(
            event ->
                action.equals(event.getString("action"))
                    && "denied".equals(event.getString("outcome"))
                    && object.toString().equals(event.getString("objectId"))
                    && prober.id().toString().equals(event.getString("actorOrganisationId")));
  }

  /**
   * Probes a real object and a made-up one: both answers are identical but for the id in the path,
   * both land in the prober's trail, and only the real one in the owner's.
   */
  static void assertProbeAudited(String pathTemplate, String action, UUID object) {
    UUID madeUp = UUID.randomUUID();
    Api.Response real = server.api().get(pathTemplate.formatted(object), proberUser.accessToken());
    Api.Response none = server.api().get(pathTemplate.formatted(madeUp), proberUser.accessToken());
    assertEquals(none.status(), real.status());
    assertEquals(none.code(), real.code());
    assertEquals(none.contentType(), real.contentType());
    assertEquals(
        none.body().replace(madeUp.toString(), "ID"), real.body().replace(object.toString(), "ID"));

    Waiting.until(() -> hasDenied(clinicAdmin, action, object), action + " in the owner's trail");
    assertTrue(hasDenied(proberAdmin, action, object), action + " in the prober's trail");
    assertTrue(hasDenied(proberAdmin, action, madeUp), "the made-up id in the prober's trail");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM audit_events WHERE object_id = '"
                + madeUp
                + "' AND organisation_id <> '"
                + prober.id()
                + "'"),
        "a made-up id has no owner to tell");
  }

  @Test
  void probedRoomsAreAuditedForTheirOwner() {
    assertProbeAudited("/api/v1/rooms/%s", "room.read", patientRoom);
    assertProbeAudited("/api/v1/rooms/%s", "room.read", generalRoom);
    Api.Response refused =
        server.api().get("/api/v1/rooms/" + generalRoom, proberUser.accessToken());
    assertEquals(403, refused.status());
    assertEquals("not_a_member", refused.code());
  }

  @Test
  void probedMessagesAndInvitationListsAreAuditedForTheRoomsOwner() {
    assertProbeAudited("/api/v1/rooms/%s/messages", "room.read", patientRoom);
    assertProbeAudited("/api/v1/rooms/%s/invitations", "room.read", generalRoom);
  }

  @Test
  void aProbedPatientIsAuditedForItsOrganisation() {
    assertProbeAudited("/api/v1/patients/%s", "patient.read", patient);
    assertEquals(
        404, server.api().get("/api/v1/patients/" + patient, proberUser.accessToken()).status());
  }

  @Test
  void aProbedConsentDocumentIsAuditedForThePatientsOrganisation() {
    assertProbeAudited("/api/v1/consents/%s/document", "consent.document_read", consent);
  }

  @Test
  void aProbedAttachmentIsAuditedForTheRoomsOwner() {
    assertProbeAudited("/api/v1/attachments/%s", "attachment.read", attachment);
    assertEquals(
        404,
        server.api().get("/api/v1/attachments/" + attachment, proberUser.accessToken()).status());
  }

  /**
   * The owner's copy of a refusal takes an event of the whole trail right after the prober's: the
   * prober's list must not show positions in the whole trail, or the gap would tell a real id from
   * a made-up one (and the volume of everybody else's events).
   */
  @Test
  void theProbersTrailShowsNoGlobalIdsSoARealProbeLooksLikeAMadeUpOne() {
    UUID madeUp = UUID.randomUUID();
    server.api().get("/api/v1/rooms/" + generalRoom + "/messages", proberUser.accessToken());
    Waiting.until(
        () -> hasDenied(clinicAdmin, "room.read", generalRoom), "the owner's copy is written");
    server.api().get("/api/v1/rooms/" + madeUp + "/messages", proberUser.accessToken());

    Api.Response listed =
        server.api().get("/api/v1/audit-events?limit=2", proberAdmin.accessToken());
    assertEquals(200, listed.status(), listed.body());
    JsonObject toMadeUp = listed.array().getJsonObject(0);
    JsonObject toReal = listed.array().getJsonObject(1);
    assertEquals(madeUp.toString(), toMadeUp.getString("objectId"));
    assertEquals(generalRoom.toString(), toReal.getString("objectId"));
    for (JsonObject event : List.of(toMadeUp, toReal)) {
      assertTrue(
          event.getValue("id") instanceof String id && OPAQUE_ID.matcher(id).matches(),
          "an opaque id: " + event);
      assertTrue(
          event.stream().noneMatch(field -> field.getValue() instanceof Number),
          "no number in the event: " + event);
    }
    assertEquals(
        withoutIds(toMadeUp, madeUp), withoutIds(toReal, generalRoom), "the same but for the ids");
    for (long globalId :
        List.of(
            server.count("SELECT max(id) FROM audit_events WHERE object_id = '" + madeUp + "'"),
            server.count(
                "SELECT max(id) FROM audit_events WHERE object_id = '"
                    + generalRoom
                    + "' AND organisation_id = '"
                    + prober.id()
                    + "'"))) {
      assertFalse(
          Pattern.compile("[^0-9a-f]" + globalId + "[^0-9a-f]").matcher(listed.body()).find(),
          "the trail's own id " + globalId + " is not shown: " + listed.body());
    }

    // paging still works with the opaque ids
    JsonArray all = trail(proberAdmin);
    Api.Response next =
        server
            .api()
            .get(
                "/api/v1/audit-events?limit=2&before=" + toReal.getString("id"),
                proberAdmin.accessToken());
    assertEquals(200, next.status(), next.body());
    assertEquals(all.getJsonObject(2), next.array().getJsonObject(0));
    assertEquals(all.getJsonObject(3), next.array().getJsonObject(1));
    String id = toReal.getString("id");
    String tampered = (id.charAt(0) == '0' ? "1" : "0") + id.substring(1);
    for (String bad : List.of(tampered, "0".repeat(32), "12", "not-an-id")) {
      Api.Response refused =
          server.api().get("/api/v1/audit-events?before=" + bad, proberAdmin.accessToken());
      assertEquals(422, refused.status(), bad + ": " + refused.body());
      assertEquals("validation_failed", refused.code());
    }
  }

  static final Pattern OPAQUE_ID = Pattern.compile("[0-9a-f]{32}");

  static JsonObject withoutIds(JsonObject event, UUID object) {
    JsonObject copy = event.copy();
    copy.remove("id");
    copy.remove("occurredAt");
    copy.put("objectId", copy.getString("objectId").replace(object.toString(), "OBJECT"));
    return copy;
  }

  @Test
  void theOwnersOwnAccessLeavesNoRefusalInItsTrail() {
    assertEquals(
        200, server.api().get("/api/v1/rooms/" + generalRoom, clinicAdmin.accessToken()).status());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM audit_events WHERE outcome = 'denied' AND actor_org_id = '"
                + clinic.id()
                + "'"));
  }
}
