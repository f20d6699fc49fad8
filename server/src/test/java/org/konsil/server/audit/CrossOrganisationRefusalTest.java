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
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.Waiting;

/**
 * A refused access to another organisation's room, patient, consent document or attachment is
 * audited in the prober's trail and in the owner's; the prober learns nothing from it.
 */
class CrossOrganisationRefusalTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static final Pattern ATTACHMENT_ID = Pattern.compile("attachmentId[^0-9a-f]*([0-9a-f-]{36})");

  static CareNetwork network;
  static Session proberUser;
  static UUID patient;
  static UUID consent;
  static UUID patientRoom;
  static UUID generalRoom;
  static UUID attachment;

  /**
   * A member of the outsider probes the practice's rooms, patient, consent and attachment; Eve, the
   * outsider's admin, reads the outsider's trail and Anna the practice's.
   */
  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
    proberUser = server.login(server.user(network.outsider()));
    CareNetwork.PatientRoom probed = network.patientRoom("Probe");
    patient = probed.patient();
    consent = probed.consent();
    patientRoom = probed.room();
    generalRoom = server.room(network.anna(), network.careHome().id());
    Api.Response attached =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/" + patientRoom + "/attachments?clientMsgId=" + UUID.randomUUID(),
                network.anna().accessToken(),
                "image/png",
                Documents.png());
    assertEquals(201, attached.status(), attached.body());
    Matcher found =
        ATTACHMENT_ID.matcher(
            server
                .api()
                .get("/api/v1/rooms/" + patientRoom + "/messages", network.anna().accessToken())
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
    String prober = network.outsider().id().toString();
    return trail(admin).stream()
        .map(JsonObject.class::cast)
        .anyMatch(
            event ->
                action.equals(event.getString("action"))
                    && "denied".equals(event.getString("outcome"))
                    && object.toString().equals(event.getString("objectId"))
                    && prober.equals(event.getString("actorOrganisationId")));
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

    Waiting.until(
        () -> hasDenied(network.anna(), action, object), action + " in the owner's trail");
    assertTrue(hasDenied(network.eve(), action, object), action + " in the prober's trail");
    assertTrue(hasDenied(network.eve(), action, madeUp), "the made-up id in the prober's trail");
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM audit_events WHERE object_id = '"
                + madeUp
                + "' AND organisation_id <> '"
                + network.outsider().id()
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
        () -> hasDenied(network.anna(), "room.read", generalRoom), "the owner's copy is written");
    server.api().get("/api/v1/rooms/" + madeUp + "/messages", proberUser.accessToken());

    Api.Response listed =
        server.api().get("/api/v1/audit-events?limit=2", network.eve().accessToken());
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
                    + network.outsider().id()
                    + "'"))) {
      // the times are left out: "…:38:23Z" is a second, not event 23
      String shown =
          listed.array().stream()
              .map(event -> ((JsonObject) event).copy())
              .peek(event -> event.remove("occurredAt"))
              .map(JsonObject::encode)
              .collect(java.util.stream.Collectors.joining(","));
      assertFalse(
          Pattern.compile("[^0-9a-f]" + globalId + "[^0-9a-f]").matcher(shown).find(),
          "the trail's own id " + globalId + " is not shown: " + listed.body());
    }

    // paging still works with the opaque ids
    JsonArray all = trail(network.eve());
    Api.Response next =
        server
            .api()
            .get(
                "/api/v1/audit-events?limit=2&before=" + toReal.getString("id"),
                network.eve().accessToken());
    assertEquals(200, next.status(), next.body());
    assertEquals(all.getJsonObject(2), next.array().getJsonObject(0));
    assertEquals(all.getJsonObject(3), next.array().getJsonObject(1));
    String id = toReal.getString("id");
    String tampered = (id.charAt(0) == '0' ? "1" : "0") + id.substring(1);
    for (String bad : List.of(tampered, "0".repeat(32), "12", "not-an-id")) {
      Api.Response refused =
          server.api().get("/api/v1/audit-events?before=" + bad, network.eve().accessToken());
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
        200,
        server.api().get("/api/v1/rooms/" + generalRoom, network.anna().accessToken()).status());
    assertEquals(
        0,
        server.count(
            "SELECT count(*) FROM audit_events WHERE outcome = 'denied' AND actor_org_id = '"
                + network.practice().id()
                + "'"));
  }
}
