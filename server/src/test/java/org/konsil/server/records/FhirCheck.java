package org.konsil.server.records;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * HAPI FHIR's validator with the packaged R4 base definitions and terminology: what an importing
 * system would check a Konsil export against. Built once per test run (it takes seconds).
 */
final class FhirCheck {

  static final FhirContext R4 = FhirContext.forR4();

  private static FhirValidator validator;

  private FhirCheck() {}

  /** The validator's errors and fatal findings about the resource (JSON); empty when valid. */
  static synchronized List<String> errors(String json) {
    if (validator == null) {
      ValidationSupportChain support =
          new ValidationSupportChain(
              new DefaultProfileValidationSupport(R4),
              new CommonCodeSystemsTerminologyService(R4),
              new InMemoryTerminologyServerValidationSupport(R4),
              new SnapshotGeneratingValidationSupport(R4));
      validator = R4.newValidator().registerValidatorModule(new FhirInstanceValidator(support));
    }
    return validator.validateWithResult(json).getMessages().stream()
        .filter(
            m ->
                m.getSeverity() == ResultSeverityEnum.ERROR
                    || m.getSeverity() == ResultSeverityEnum.FATAL)
        .map(FhirCheck::describe)
        .toList();
  }

  /** Every finding, for a failure message. */
  static List<String> all(String json) {
    errors(json);
    return validator.validateWithResult(json).getMessages().stream()
        .map(FhirCheck::describe)
        .toList();
  }

  private static String describe(SingleValidationMessage m) {
    return m.getSeverity() + " " + m.getLocationString() + ": " + m.getMessage();
  }
}
