package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erasure of a patient on request (GDPR Art. 17) by an administrator of the patient's organisation,
 * where no duty to keep the records stands against it: the documentation duty of §630f BGB keeps
 * the records the organisation's retention (at least ten years) after the newest entry, a legal
 * hold keeps them, and while the patient's consent is active the patient has not withdrawn it. What
 * stays is an audit tombstone with counts and ids only.
 */
public final class PatientErasure {

  private static final Logger LOG = LoggerFactory.getLogger(PatientErasure.class);

  /** The title of an erased patient's rooms, in the database; names nobody. */
  static final String ERASED_TITLE = "Patient – gelöscht";

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final AuditLog audit;
  private final Function<UUID, Path> files;
  private final RetentionStore retention;
  private final ErasureStore store = new ErasureStore();

  PatientErasure(
      Vertx vertx,
      Pool pool,
      Clock clock,
      PatientService patients,
      AuditLog audit,
      Function<UUID, Path> files,
      RetentionStore retention) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.audit = audit;
    this.files = files;
    this.retention = retention;
  }

  /**
   * Erases the patient: {@code 404 not_found} for anyone else's (audited), {@code 409
   * consent_active} while their consent is active, {@code 409 retention_duty} while the
   * documentation duty runs. The files leave the file store after the commit.
   */
  public Future<Erasure> erase(AuthenticatedUser user, UUID patientId) {
    user.requireAdmin();
    OffsetDateTime now = Times.now(clock);
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient ->
                Future.all(retention.settings(user.organisationId()), retention.held(patientId)))
        .compose(
            duties ->
                pool.withTransaction(
                    tx ->
                        store
                            .lock(tx, patientId)
                            .compose(
                                state -> {
                                  refuseIfKept(
                                      state,
                                      duties.<Retention>resultAt(0).patientRoomYears(),
                                      duties.<Boolean>resultAt(1),
                                      now);
                                  return store.erase(tx, patientId, ERASED_TITLE, now);
                                })
                            .compose(
                                removed ->
                                    audit
                                        .record(
                                            tx,
                                            AuditEvent.by(user)
                                                .on("patient", patientId)
                                                .with("rooms", removed.rooms())
                                                .with("messages", removed.messages())
                                                .with("files", removed.files().size())
                                                .success("patient.erased"))
                                        .map(removed))))
        .compose(
            removed ->
                deleteFiles(removed.files())
                    .map(
                        done ->
                            new Erasure(
                                patientId,
                                now,
                                removed.rooms(),
                                removed.messages(),
                                removed.files().size())));
  }

  private static void refuseIfKept(
      ErasureStore.State state, int years, boolean held, OffsetDateTime now) {
    if (state == null) {
      throw ApiException.notFound("No such patient.");
    }
    if (held) {
      throw ApiException.conflict(
          "legal_hold", "A legal hold keeps this patient's records; lift it before erasing.");
    }
    if ("active".equals(state.consentStatus())) {
      throw ApiException.conflict(
          "consent_active",
          "The patient's consent is active; record its revocation before erasing the patient.");
    }
    OffsetDateTime newest = state.newestDocumentation();
    if (newest != null && newest.plusYears(years).isAfter(now)) {
      throw ApiException.conflict(
          "retention_duty",
          "The records about this patient must be kept until "
              + newest.plusYears(years).toLocalDate()
              + " ("
              + years
              + " years after the newest entry; at least ten by §630f BGB).");
    }
  }

  /** Removes the documents from disk; one that cannot be removed is logged, not fatal. */
  private Future<Void> deleteFiles(List<UUID> ids) {
    return vertx.executeBlocking(
        () -> {
          for (UUID id : ids) {
            try {
              Files.deleteIfExists(files.apply(id));
            } catch (java.io.IOException e) {
              LOG.error("could not delete erased file {}: {}", id, e.toString());
            }
          }
          return null;
        });
  }
}
