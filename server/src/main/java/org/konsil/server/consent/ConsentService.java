package org.konsil.server.consent;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.MediaType;
import org.konsil.server.files.StoredFile;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.organisations.OrganisationService;
import org.konsil.server.patients.Patient;
import org.konsil.server.patients.PatientService;

/**
 * A patient's signed consent: uploaded in versions by the patient's organisation, readable by every
 * organisation in a room about the patient until it is revoked (then by the patient's organisation
 * only), and revoked once and for good. A revocation closes and masks every room about the patient
 * in the same transaction; nothing is deleted.
 */
public final class ConsentService {

  public static final long MAX_DOCUMENT_BYTES = 10L * 1024 * 1024;
  private static final Set<MediaType> DOCUMENT_TYPES =
      Set.of(MediaType.PDF, MediaType.JPEG, MediaType.PNG);

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final FileStore files;
  private final AuditLog audit;
  private final RevocationNotices notices;
  private final OrganisationService organisations;
  private final io.vertx.core.Vertx vertx;
  private final ConsentStore store;

  public ConsentService(
      Pool pool,
      Clock clock,
      PatientService patients,
      FileStore files,
      AuditLog audit,
      RevocationNotices notices,
      OrganisationService organisations,
      io.vertx.core.Vertx vertx) {
    this.organisations = organisations;
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.files = files;
    this.audit = audit;
    this.notices = notices;
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
        () -> files.receive(body, DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, null));
  }

  /** The same with a document already in memory (demo data, operator tools). */
  public Future<Consent> upload(
      AuthenticatedUser user, UUID patientId, List<UUID> organisations, byte[] document) {
    return upload(
        user,
        patientId,
        organisations,
        () -> files.receive(document, DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, null));
  }

  private Future<Consent> upload(
      AuthenticatedUser user,
      UUID patientId,
      List<UUID> organisations,
      java.util.function.Supplier<Future<StoredFile>> document) {
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient -> {
              if (patient.revoked()) {
                throw consentRevoked();
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
    return latestOfUnrevoked(tx, patientId)
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

  /** Locks the patient and reads its newest consent, refusing once the patient has revoked. */
  private Future<Consent> latestOfUnrevoked(SqlClient tx, UUID patientId) {
    return patients
        .lock(tx, patientId)
        .compose(
            patient -> {
              if (patient.revoked()) {
                throw consentRevoked();
              }
              return store.latest(tx, patientId);
            });
  }

  /** The filled-in consent form as bytes (for demo data: a form stands in for a signed one). */
  public Future<byte[]> templateBytes(
      AuthenticatedUser user, UUID patientId, List<UUID> partnerIds, String lang) {
    return template(user, patientId, partnerIds, lang);
  }

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
                                            "Some partner organisations are unknown or not active.");
                                      }
                                      LocalDate today =
                                          LocalDate.ofInstant(
                                              clock.instant(), java.time.ZoneOffset.UTC);
                                      return audit
                                          .recordAlone(
                                              AuditEvent.by(user)
                                                  .on("patient", patient.id())
                                                  .with("organisations", partners.size())
                                                  .success("consent.template_created"))
                                          .compose(
                                              done ->
                                                  vertx.executeBlocking(
                                                      () ->
                                                          ConsentTemplate.render(
                                                              patient, owner, partners, lang,
                                                              today)));
                                    })));
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
                return refuseDocument(user, consentId);
              }
              return mayRead(user, consent.patientId())
                  .recover(failure -> refuseDocument(user, consentId))
                  .compose(allowed -> patients.byId(consent.patientId()))
                  .compose(
                      patient ->
                          patient.revoked()
                                  && !patient.organisationId().equals(user.organisationId())
                              ? refuseRevokedDocument(user, consentId, patient)
                              : audit
                                  .recordAlone(
                                      AuditEvent.by(user)
                                          .forOrganisation(patient.organisationId())
                                          .on("consent", consentId)
                                          .with("patient", consent.patientId())
                                          .success("consent.document_read"))
                                  .map(
                                      done ->
                                          new DocumentAccess(
                                              files.path(consent.fileId()),
                                              consent.mediaType(),
                                              "consent-" + consent.version())));
            });
  }

  /**
   * After a revocation only the patient's own organisation opens the consent documents; a partner's
   * attempt is refused with {@code consent_revoked} and audited, in the patient organisation's
   * trail too.
   */
  private <T> Future<T> refuseRevokedDocument(
      AuthenticatedUser user, UUID consentId, Patient patient) {
    return Refusals.record(
            audit,
            AuditEvent.by(user)
                .on("consent", consentId)
                .with("patient", patient.id())
                .with("reason", "consent_revoked"),
            "consent.document_read",
            patient.organisationId())
        .transform(
            done ->
                Future.failedFuture(
                    ApiException.forbidden(
                        "consent_revoked",
                        "The patient has revoked their consent; only their own organisation may"
                            + " open the consent documents.")));
  }

  /** The refusal once the patient has revoked their consent. */
  public static ApiException consentRevoked() {
    return ApiException.conflict(
        "consent_revoked",
        "The patient has revoked their consent; this room takes no new messages.");
  }

  /** Where a document lies on disk and how to send it. */
  public record DocumentAccess(java.nio.file.Path path, String mediaType, String name) {}

  /**
   * Records the patient's revocation with its date and, optionally, the document from the request
   * body. Every room about the patient gets a notice, takes no further messages and shows its
   * earlier messages masked.
   */
  public Future<Consent> revoke(
      AuthenticatedUser user,
      UUID patientId,
      LocalDate date,
      HttpServerRequest body,
      boolean withDocument) {
    Future<StoredFile> document =
        patients
            .ownPatient(user, patientId)
            .compose(
                patient -> {
                  if (patient.revoked()) {
                    throw consentRevoked();
                  }
                  return withDocument
                      ? files.receive(body, DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, null)
                      : Future.succeededFuture(null);
                });
    List<Runnable> announcements = new ArrayList<>();
    return document.compose(
        file ->
            pool.withTransaction(
                    tx -> recordRevocation(tx, user, patientId, date, file, announcements))
                .onFailure(
                    failure -> {
                      if (file != null) {
                        files.discard(file.id());
                      }
                    })
                .onSuccess(consent -> announcements.forEach(Runnable::run)));
  }

  private Future<Consent> recordRevocation(
      SqlClient tx,
      AuthenticatedUser user,
      UUID patientId,
      LocalDate date,
      StoredFile file,
      List<Runnable> announcements) {
    OffsetDateTime now = Times.now(clock);
    return latestOfUnrevoked(tx, patientId)
        .compose(
            consent -> {
              if (consent == null || !"active".equals(consent.status())) {
                throw new ApiException(
                    409, "consent_required", "No active consent is on record to revoke.");
              }
              Future<Void> storedFile =
                  file == null
                      ? Future.succeededFuture()
                      : files.record(tx, file, user.userId(), now);
              return storedFile
                  .compose(done -> store.closeRoomsAbout(tx, patientId, now))
                  .compose(
                      rooms ->
                          store
                              .revoke(
                                  tx,
                                  consent.id(),
                                  user.userId(),
                                  now,
                                  date,
                                  file == null ? null : file.id())
                              .compose(done -> patients.markRevoked(tx, patientId))
                              .compose(done -> notices.post(tx, rooms, date, now))
                              .map(
                                  announce -> {
                                    announcements.add(announce);
                                    return rooms.size();
                                  }))
                  .compose(
                      roomCount ->
                          audit.record(
                              tx,
                              AuditEvent.by(user)
                                  .on("consent", consent.id())
                                  .with("patient", patientId)
                                  .with("rooms", roomCount)
                                  .success("consent.revoked")))
                  .compose(done -> store.byId(tx, consent.id()));
            });
  }

  /**
   * Refuses unless an active consent covers each organisation: {@code consent_revoked} after a
   * revocation, {@code consent_required} otherwise.
   */
  public Future<Void> requireCoverage(
      SqlClient client, Patient patient, Collection<UUID> organisations) {
    if (patient.revoked()) {
      return Future.failedFuture(consentRevoked());
    }
    return store
        .latest(client, patient.id())
        .map(
            consent -> {
              Set<UUID> missing = new HashSet<>(organisations);
              if (consent != null && "active".equals(consent.status())) {
                missing.removeAll(consent.organisations());
              }
              missing.remove(patient.organisationId());
              if (!missing.isEmpty()) {
                throw new ApiException(
                    409,
                    "consent_required",
                    "No active consent of the patient covers these organisations: "
                        + missing
                        + ".");
              }
              return null;
            });
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
  private <T> Future<T> refuseDocument(AuthenticatedUser user, UUID consentId) {
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
                Refusals.record(
                    audit,
                    AuditEvent.by(user).on("consent", consentId),
                    "consent.document_read",
                    owner))
        .transform(done -> Future.failedFuture(ApiException.notFound("No such consent.")));
  }
}
