package org.konsil.server.consent;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
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
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.MediaType;
import org.konsil.server.files.StoredFile;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.Patient;
import org.konsil.server.patients.PatientService;

/**
 * Where a patient's consent stands: whether it covers the organisations of a room, and its
 * revocation, once and for good. From the revocation on, every room about the patient takes no
 * messages and shows its history masked, both read from the patient's revocation alone; each room
 * gets a notice in the revocation's transaction; nothing is deleted. New versions are stored by
 * {@link ConsentVersions}, read through {@link ConsentDocuments}.
 */
public final class ConsentService {

  public static final long MAX_DOCUMENT_BYTES = 10L * 1024 * 1024;
  public static final Set<MediaType> DOCUMENT_TYPES =
      Set.of(MediaType.PDF, MediaType.JPEG, MediaType.PNG);

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final FileStore files;
  private final AuditLog audit;
  private final RevocationNotices notices;
  private final ConsentStore store;

  public ConsentService(
      Pool pool,
      Clock clock,
      PatientService patients,
      FileStore files,
      AuditLog audit,
      RevocationNotices notices) {
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.files = files;
    this.audit = audit;
    this.notices = notices;
    this.store = new ConsentStore(pool);
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

  /**
   * Locks the patient and reads its newest consent, refusing once the patient has revoked: new
   * versions and the revocation both start here.
   */
  Future<Consent> latestOfUnrevoked(SqlClient tx, UUID patientId) {
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

  /** The refusal once the patient has revoked their consent. */
  public static ApiException consentRevoked() {
    return ApiException.conflict(
        "consent_revoked",
        "The patient has revoked their consent; this room takes no new messages.");
  }

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
                  .compose(done -> store.lockRoomsAbout(tx, patientId))
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
}
