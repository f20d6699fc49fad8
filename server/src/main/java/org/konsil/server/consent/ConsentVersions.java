package org.konsil.server.consent;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.StoredFile;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.organisations.OrganisationService;
import org.konsil.server.patients.PatientService;

/**
 * Stores the versions of a patient's signed consent, uploaded by the patient's organisation: each
 * new version names the partner organisations it covers and may add some, never drop one.
 */
public final class ConsentVersions {

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final FileStore files;
  private final AuditLog audit;
  private final OrganisationService organisations;
  private final ConsentService consents;
  private final ConsentStore store;

  public ConsentVersions(
      Pool pool,
      Clock clock,
      PatientService patients,
      FileStore files,
      AuditLog audit,
      OrganisationService organisations,
      ConsentService consents) {
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.files = files;
    this.audit = audit;
    this.organisations = organisations;
    this.consents = consents;
    this.store = new ConsentStore(pool);
  }

  /**
   * Stores a new version of the consent from the request body. A new version may add partner
   * organisations but not drop any that the one before covered.
   */
  public Future<Consent> upload(
      AuthenticatedUser user, UUID patientId, List<UUID> organisations, HttpServerRequest body) {
    return upload(
        user,
        patientId,
        organisations,
        () ->
            files.receive(
                body, ConsentService.DOCUMENT_TYPES, ConsentService.MAX_DOCUMENT_BYTES, null));
  }

  /** The same with a document already in memory (demo data, operator tools). */
  public Future<Consent> upload(
      AuthenticatedUser user, UUID patientId, List<UUID> organisations, byte[] document) {
    return upload(
        user,
        patientId,
        organisations,
        () ->
            files.receive(
                document, ConsentService.DOCUMENT_TYPES, ConsentService.MAX_DOCUMENT_BYTES, null));
  }

  private Future<Consent> upload(
      AuthenticatedUser user,
      UUID patientId,
      List<UUID> organisations,
      Supplier<Future<StoredFile>> document) {
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient -> {
              if (patient.revoked()) {
                throw ConsentService.consentRevoked();
              }
              return this.organisations.activeOrganisations(organisations);
            })
        .compose(
            found -> {
              if (found.size() != organisations.size()) {
                throw new ApiException(
                    422,
                    "organisation_not_active",
                    "A consent can only name organisations that are on Konsil and active.");
              }
              return document.get();
            })
        .compose(
            file ->
                pool.withTransaction(tx -> storeVersion(tx, user, patientId, organisations, file))
                    .onFailure(failure -> files.discard(file.id())));
  }

  private Future<Consent> storeVersion(
      SqlClient tx,
      AuthenticatedUser user,
      UUID patientId,
      List<UUID> organisations,
      StoredFile file) {
    UUID consentId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    return consents
        .latestOfUnrevoked(tx, patientId)
        .compose(
            previous -> {
              if (previous != null
                  && !new HashSet<>(organisations).containsAll(previous.organisations())) {
                throw ApiException.validation(
                    "A new version must cover every organisation the last one covered.");
              }
              int version = previous == null ? 1 : previous.version() + 1;
              return files
                  .record(tx, file, user.userId(), now)
                  .compose(done -> store.deactivateAll(tx, patientId))
                  .compose(
                      done ->
                          store.insert(
                              tx,
                              consentId,
                              patientId,
                              version,
                              file.id(),
                              user.userId(),
                              now,
                              organisations))
                  .compose(
                      roomCount ->
                          audit.record(
                              tx,
                              AuditEvent.by(user)
                                  .on("consent", consentId)
                                  .with("patient", patientId)
                                  .with("version", version)
                                  .with("organisations", organisations.size())
                                  .success("consent.uploaded")))
                  .compose(done -> store.byId(tx, consentId));
            });
  }
}
