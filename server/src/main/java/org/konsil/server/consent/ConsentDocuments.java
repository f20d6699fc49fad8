package org.konsil.server.consent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.files.FileStore;
import org.konsil.server.http.ApiException;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.organisations.Organisation;
import org.konsil.server.organisations.OrganisationService;
import org.konsil.server.patients.Patient;
import org.konsil.server.patients.PatientService;

/**
 * Reading a patient's consent: its current version and documents, for the patient's organisation
 * and for every organisation in a room about the patient until a revocation (then for the patient's
 * organisation only), each access audited and each refusal too; and the consent form to print.
 */
public final class ConsentDocuments {

  private static final String DOCUMENT_READ = "consent.document_read";
  private static final String REVOCATION_DOCUMENT_READ = "consent.revocation_document_read";

  private final Vertx vertx;
  private final Clock clock;
  private final PatientService patients;
  private final FileStore files;
  private final AuditLog audit;
  private final OrganisationService organisations;
  private final ConsentStore store;

  public ConsentDocuments(
      Vertx vertx,
      Pool pool,
      Clock clock,
      PatientService patients,
      FileStore files,
      AuditLog audit,
      OrganisationService organisations) {
    this.vertx = vertx;
    this.clock = clock;
    this.patients = patients;
    this.files = files;
    this.audit = audit;
    this.organisations = organisations;
    this.store = new ConsentStore(pool);
  }

  /** The patient's newest consent, for the owning organisation or a member of a room about them. */
  public Future<Consent> current(AuthenticatedUser user, UUID patientId) {
    return mayRead(user, patientId)
        .compose(allowed -> store.latest(patientId))
        .compose(
            consent -> {
              if (consent == null) {
                throw new ApiException(
                    404, "consent_required", "No consent is on record for this patient.");
              }
              return patients
                  .byId(patientId)
                  .compose(
                      patient ->
                          audit.recordAlone(
                              AuditEvent.by(user)
                                  .forOrganisation(patient.organisationId())
                                  .on("consent", consent.id())
                                  .with("patient", patientId)
                                  .success("consent.read")))
                  .map(consent);
            });
  }

  /** A consent document for reading, audited; refused (and audited) for anyone else. */
  public Future<DocumentAccess> document(AuthenticatedUser user, UUID consentId) {
    return store
        .byId(consentId)
        .compose(
            consent -> {
              if (consent == null) {
                return refuseDocument(user, consentId, DOCUMENT_READ);
              }
              return mayRead(user, consent.patientId())
                  .recover(failure -> refuseDocument(user, consentId, DOCUMENT_READ))
                  .compose(allowed -> patients.byId(consent.patientId()))
                  .compose(
                      patient ->
                          patient.revoked()
                                  && !patient.organisationId().equals(user.organisationId())
                              ? refuseRevokedDocument(user, consentId, patient, DOCUMENT_READ)
                              : audit
                                  .recordAlone(
                                      AuditEvent.by(user)
                                          .forOrganisation(patient.organisationId())
                                          .on("consent", consentId)
                                          .with("patient", consent.patientId())
                                          .success(DOCUMENT_READ))
                                  .map(
                                      done ->
                                          new DocumentAccess(
                                              files.path(consent.fileId()),
                                              consent.mediaType(),
                                              "consent-" + consent.version())));
            });
  }

  /**
   * The signed revocation filed with a consent, for the patient's own organisation only (after a
   * revocation no partner opens the patient's documents); audited, refusals too.
   */
  public Future<DocumentAccess> revocationDocument(AuthenticatedUser user, UUID consentId) {
    return store
        .byId(consentId)
        .compose(
            consent -> {
              if (consent == null) {
                return refuseDocument(user, consentId, REVOCATION_DOCUMENT_READ);
              }
              return mayRead(user, consent.patientId())
                  .recover(failure -> refuseDocument(user, consentId, REVOCATION_DOCUMENT_READ))
                  .compose(allowed -> patients.byId(consent.patientId()))
                  .compose(
                      patient -> {
                        if (!patient.organisationId().equals(user.organisationId())) {
                          // a partner in a room about the patient: after a revocation it is told
                          // why; before one there is nothing of this kind for anyone to open
                          return patient.revoked()
                              ? refuseRevokedDocument(
                                  user, consentId, patient, REVOCATION_DOCUMENT_READ)
                              : refuseDocument(user, consentId, REVOCATION_DOCUMENT_READ);
                        }
                        if (consent.revocationFileId() == null) {
                          return Future.failedFuture(
                              ApiException.notFound(
                                  "No signed revocation was filed with this consent."));
                        }
                        return audit
                            .recordAlone(
                                AuditEvent.by(user)
                                    .forOrganisation(patient.organisationId())
                                    .on("consent", consentId)
                                    .with("patient", consent.patientId())
                                    .success(REVOCATION_DOCUMENT_READ))
                            .map(
                                done ->
                                    new DocumentAccess(
                                        files.path(consent.revocationFileId()),
                                        consent.revocationMediaType(),
                                        "revocation-" + consent.version()));
                      });
            });
  }

  /**
   * After a revocation only the patient's own organisation opens the consent documents; a partner's
   * attempt is refused with {@code consent_revoked} and audited, in the patient organisation's
   * trail too.
   */
  private <T> Future<T> refuseRevokedDocument(
      AuthenticatedUser user, UUID consentId, Patient patient, String action) {
    return Refusals.record(
            audit,
            AuditEvent.by(user)
                .on("consent", consentId)
                .with("patient", patient.id())
                .with("reason", "consent_revoked"),
            action,
            patient.organisationId())
        .transform(
            done ->
                Future.failedFuture(
                    ApiException.forbidden(
                        "consent_revoked",
                        "The patient has revoked their consent; only their own organisation may"
                            + " open the consent documents.")));
  }

  /** Where a document lies on disk and how to send it. */
  public record DocumentAccess(Path path, String mediaType, String name) {}

  /** The consent form to print for the patient, filled in, in German or English. */
  public Future<byte[]> template(
      AuthenticatedUser user, UUID patientId, List<UUID> partnerIds, String lang) {
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient ->
                organisations
                    .view(user)
                    .compose(
                        owner ->
                            organisations
                                .activeOrganisations(partnerIds)
                                .compose(
                                    partners -> {
                                      if (partners.size() != partnerIds.size()) {
                                        throw new ApiException(
                                            422,
                                            "organisation_not_active",
                                            "Some partner organisations are unknown or not"
                                                + " active.");
                                      }
                                      return render(user, patient, owner, partners, lang);
                                    })));
  }

  /** Audits the form's making, then renders it off the event loop. */
  private Future<byte[]> render(
      AuthenticatedUser user,
      Patient patient,
      Organisation owner,
      List<Organisation> partners,
      String lang) {
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    return audit
        .recordAlone(
            AuditEvent.by(user)
                .on("patient", patient.id())
                .with("organisations", partners.size())
                .success("consent.template_created"))
        .compose(
            done ->
                vertx.executeBlocking(
                    () -> ConsentTemplate.render(patient, owner, partners, lang, today)));
  }

  private Future<Void> mayRead(AuthenticatedUser user, UUID patientId) {
    return patients
        .byId(patientId)
        .compose(
            patient -> {
              if (patient == null) {
                return patients.refuse(user, patientId);
              }
              if (patient.organisationId().equals(user.organisationId())) {
                return Future.succeededFuture();
              }
              return store
                  .sharesARoomAbout(patientId, user.organisationId())
                  .compose(
                      shares ->
                          shares ? Future.succeededFuture() : patients.refuse(user, patientId));
            });
  }

  /**
   * Refuses a consent document, audited; also in the patient organisation's trail when the consent
   * exists. The answer is the same either way.
   */
  private <T> Future<T> refuseDocument(AuthenticatedUser user, UUID consentId, String action) {
    return store
        .byId(consentId)
        .compose(
            consent ->
                consent == null
                    ? Future.<Patient>succeededFuture()
                    : patients.byId(consent.patientId()))
        .<UUID>map(patient -> patient == null ? null : patient.organisationId())
        .otherwiseEmpty()
        .compose(
            owner ->
                Refusals.record(audit, AuditEvent.by(user).on("consent", consentId), action, owner))
        .transform(done -> Future.failedFuture(ApiException.notFound("No such consent.")));
  }
}
