package org.konsil.server.records;

import java.util.Date;
import java.util.UUID;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Period;
import org.konsil.server.records.RecordRows.ConsentRow;
import org.konsil.server.records.RecordRows.PatientRow;

/**
 * A patient's consent versions as FHIR R4 {@code Consent}s: a privacy consent (share with these
 * organisations) given by the patient, the signed document as the source attachment, the covered
 * organisations as permitted recipients; a revoked consent is {@code inactive} and its permission
 * ends on the revocation date.
 */
final class FhirConsents {

  private static final String SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope";
  private static final String ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  private static final String PARTICIPATION =
      "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

  /**
   * Konsil's extension: the signed revocation (Consent has one {@code source}, the signed consent;
   * the revocation that ended it is a document of its own).
   */
  static final String REVOCATION_DOCUMENT =
      "https://konsil.org/fhir/StructureDefinition/revocation-document";

  private FhirConsents() {}

  /** Blocking: reads the document for its SHA-1. */
  static Consent consent(ConsentRow row, PatientRow patient, FhirRefs refs, FileDigests digests) {
    Consent consent = new Consent();
    consent.setId(row.id().toString());
    consent.addIdentifier(FhirRefs.identifier(row.id()));
    consent.setStatus(
        "active".equals(row.status())
            ? Consent.ConsentState.ACTIVE
            : Consent.ConsentState.INACTIVE);
    consent.setScope(
        new CodeableConcept()
            .addCoding(new Coding(SCOPE_SYSTEM, "patient-privacy", "Privacy Consent")));
    consent.addCategory().addCoding(new Coding("http://loinc.org", "59284-0", null));
    consent.setPatient(refs.to("Patient", patient.id()));
    consent.setDateTime(Date.from(row.uploadedAt().toInstant()));
    consent.addPerformer(refs.to("Patient", patient.id()));
    consent.addOrganization(refs.to("Organization", patient.organisation()));
    consent.setSource(
        FhirMessages.attachment(
            row.document(), refs.consentDocumentUrl(row.id(), row.document()), digests));
    if (row.revocationDocument() != null) {
      consent.addExtension(
          REVOCATION_DOCUMENT,
          FhirMessages.attachment(
              row.revocationDocument(),
              refs.revocationDocumentUrl(row.id(), row.revocationDocument()),
              digests));
    }
    consent.setPolicyRule(new CodeableConcept().addCoding(new Coding(ACT_CODE, "OPTIN", null)));
    Consent.ProvisionComponent provision = consent.getProvision();
    provision.setType(Consent.ConsentProvisionType.PERMIT);
    provision.setPeriod(period(row));
    for (UUID organisation : row.organisations()) {
      provision
          .addActor()
          .setRole(
              new CodeableConcept()
                  .addCoding(new Coding(PARTICIPATION, "IRCP", "information recipient")))
          .setReference(refs.to("Organization", organisation));
    }
    return consent;
  }

  /** From the day it was given to the day it was revoked (days: both are dates to people). */
  private static Period period(ConsentRow row) {
    Period period = new Period();
    DateTimeType start = new DateTimeType(row.uploadedAt().toLocalDate().toString());
    if (row.revocationDate() != null) {
      DateTimeType end = new DateTimeType(row.revocationDate().toString());
      period.setEndElement(end);
      if (!row.revocationDate().isBefore(row.uploadedAt().toLocalDate())) {
        period.setStartElement(start);
      }
    } else {
      period.setStartElement(start);
    }
    return period;
  }
}
