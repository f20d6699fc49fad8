package org.konsil.server.records;

import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.konsil.server.records.RecordRows.OrganisationRow;
import org.konsil.server.records.RecordRows.PatientRow;
import org.konsil.server.records.RecordRows.SenderRow;

/** The people and organisations of a record as FHIR R4 resources, with only what Konsil holds. */
final class FhirPeople {

  /** The German statutory insurance number (KVNR), the identifier German systems match on. */
  static final String KVNR_SYSTEM = "http://fhir.de/sid/gkv/kvid-10";

  private static final Pattern KVNR = Pattern.compile("[A-Z][0-9]{9}");

  private FhirPeople() {}

  static Patient patient(PatientRow row, FhirRefs refs) {
    Patient patient = new Patient();
    patient.setId(row.id().toString());
    patient.addIdentifier(FhirRefs.identifier(row.id()));
    if (row.insuranceNumber() != null) {
      if (KVNR.matcher(row.insuranceNumber()).matches()) {
        patient.addIdentifier().setSystem(KVNR_SYSTEM).setValue(row.insuranceNumber());
      } else {
        patient.addIdentifier().setValue(row.insuranceNumber()).getType().setText("insurance");
      }
    }
    // an erased patient is a tombstone: its id and organisation, nothing else
    if (row.familyName() != null) {
      patient
          .addName()
          .setUse(HumanName.NameUse.OFFICIAL)
          .setFamily(row.familyName())
          .addGiven(row.givenName());
    }
    if (row.birthDate() != null) {
      patient.setBirthDateElement(new DateType(row.birthDate().toString()));
    }
    if (row.email() != null) {
      patient
          .addTelecom()
          .setSystem(ContactPoint.ContactPointSystem.EMAIL)
          .setUse(ContactPoint.ContactPointUse.HOME)
          .setValue(row.email());
    }
    if (row.mobile() != null) {
      patient
          .addTelecom()
          .setSystem(ContactPoint.ContactPointSystem.SMS)
          .setUse(ContactPoint.ContactPointUse.MOBILE)
          .setValue(row.mobile());
    }
    patient.setManagingOrganization(refs.to("Organization", row.organisation()));
    return patient;
  }

  static Organization organisation(OrganisationRow row) {
    Organization organisation = new Organization();
    organisation.setId(row.id().toString());
    organisation.addIdentifier(FhirRefs.identifier(row.id()));
    organisation.setActive(true);
    organisation.setName(row.name());
    organisation
        .addType()
        .addCoding()
        .setSystem(FhirRefs.KONSIL_CODES + "organisation-kind")
        .setCode(row.kind());
    if (row.email() != null) {
      organisation
          .addTelecom()
          .setSystem(ContactPoint.ContactPointSystem.EMAIL)
          .setValue(row.email());
    }
    if (row.fax() != null) {
      organisation.addTelecom().setSystem(ContactPoint.ContactPointSystem.FAX).setValue(row.fax());
    }
    if (row.street() != null || row.postalCode() != null || row.city() != null) {
      Address address = organisation.addAddress();
      if (row.street() != null) {
        address.addLine(row.street());
      }
      address.setPostalCode(row.postalCode()).setCity(row.city());
    }
    return organisation;
  }

  static Practitioner practitioner(SenderRow row) {
    Practitioner practitioner = new Practitioner();
    practitioner.setId(row.userId().toString());
    practitioner.addIdentifier(FhirRefs.identifier(row.userId()));
    practitioner.addName().setText(row.displayName());
    return practitioner;
  }

  /** The sender acting for their organisation: what a message's sender refers to. */
  static PractitionerRole role(SenderRow row, FhirRefs refs) {
    PractitionerRole role = new PractitionerRole();
    role.setId(roleId(row).toString());
    role.setPractitioner(refs.to("Practitioner", row.userId()));
    role.setOrganization(refs.to("Organization", row.organisation()));
    return role;
  }

  static java.util.UUID roleId(SenderRow row) {
    return FhirRefs.derived("practitioner-role", row.userId() + "@" + row.organisation());
  }
}
