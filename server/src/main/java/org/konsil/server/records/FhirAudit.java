package org.konsil.server.records;

import java.util.Date;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.konsil.server.records.RecordRows.AuditRow;

/**
 * Konsil's audit events as FHIR R4 {@code AuditEvent}s: the DICOM event type, Konsil's action as
 * the subtype, the acting user and organisation by their ids, the object by its id, and the event's
 * details (ids and codes, never names) as an entity detail.
 */
final class FhirAudit {

  private static final String DICOM = "http://dicom.nema.org/resources/ontology/DCM";

  private FhirAudit() {}

  static AuditEvent event(AuditRow row) {
    AuditEvent event = new AuditEvent();
    event.setId(FhirRefs.derived("audit-event", row.id()).toString());
    event.setType(type(row.action()));
    event.addSubtype(new Coding(FhirRefs.KONSIL_CODES + "audit-action", row.action(), null));
    event.setAction(action(row.action()));
    event.setRecorded(Date.from(row.occurredAt().toInstant()));
    if ("success".equals(row.outcome())) {
      event.setOutcome(AuditEvent.AuditEventOutcome._0);
    } else {
      event.setOutcome(AuditEvent.AuditEventOutcome._4);
      event.setOutcomeDesc(row.outcome());
    }
    AuditEvent.AuditEventAgentComponent agent = event.addAgent();
    if (row.actorUser() != null) {
      agent.setWho(FhirRefs.logical("Practitioner", row.actorUser())).setRequestor(true);
    } else {
      agent.setWho(new Reference().setDisplay("Konsil")).setRequestor(false);
    }
    if (row.actorOrganisation() != null) {
      event
          .addAgent()
          .setWho(FhirRefs.logical("Organization", row.actorOrganisation()))
          .setRequestor(false);
    }
    event.getSource().setSite("Konsil").setObserver(new Reference().setDisplay("Konsil"));
    if (row.objectId() != null) {
      AuditEvent.AuditEventEntityComponent entity = event.addEntity();
      entity.setWhat(FhirRefs.logical(null, row.objectId()));
      entity.getWhat().setDisplay(row.objectType());
      entity.addDetail().setType("details").setValue(new StringType(row.details()));
    } else {
      event.addEntity().addDetail().setType("details").setValue(new StringType(row.details()));
    }
    return event;
  }

  /** DICOM's export, login or patient record event type, by what Konsil did. */
  private static Coding type(String action) {
    if (action.contains("export")) {
      return new Coding(DICOM, "110106", "Export");
    }
    if (action.startsWith("session.") || action.startsWith("login")) {
      return new Coding(DICOM, "110114", "User Authentication");
    }
    return new Coding(DICOM, "110110", "Patient Record");
  }

  /** Read, create, update, delete, or else execute, from the verb at the end of the action. */
  private static AuditEvent.AuditEventAction action(String action) {
    if (action.endsWith("read")) {
      return AuditEvent.AuditEventAction.R;
    }
    if (action.endsWith("created") || action.endsWith("uploaded") || action.endsWith("sent")) {
      return AuditEvent.AuditEventAction.C;
    }
    if (action.endsWith("deleted") || action.endsWith("erased")) {
      return AuditEvent.AuditEventAction.D;
    }
    if (action.endsWith("revoked") || action.endsWith("changed") || action.endsWith("updated")) {
      return AuditEvent.AuditEventAction.U;
    }
    return AuditEvent.AuditEventAction.E;
  }
}
