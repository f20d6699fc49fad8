package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientService;

/** An organisation's retention settings and the legal holds on its patients, set by its admins. */
public final class RetentionService {

  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final PatientService patients;
  private final RetentionStore store;

  RetentionService(
      Pool pool, Clock clock, AuditLog audit, PatientService patients, RetentionStore store) {
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
    this.patients = patients;
    this.store = store;
  }

  public Future<Retention> settings(AuthenticatedUser user) {
    user.requireAdmin();
    return store.settings(user.organisationId());
  }

  /** Saves settings already checked against the bounds; audited with the new values. */
  public Future<Retention> change(AuthenticatedUser user, Retention retention) {
    user.requireAdmin();
    return pool.withTransaction(
            tx ->
                store
                    .save(tx, user.organisationId(), retention, user.userId(), Times.now(clock))
                    .compose(
                        done ->
                            audit.record(
                                tx,
                                AuditEvent.by(user)
                                    .on("organisation", user.organisationId())
                                    .with("patientRoomYears", retention.patientRoomYears())
                                    .with("generalRoomYears", retention.generalRoomYears())
                                    .success("retention.changed"))))
        .map(retention);
  }

  /** Sets or lifts the legal hold on one of the organisation's patients; audited. */
  public Future<Boolean> hold(AuthenticatedUser user, UUID patientId, boolean held) {
    user.requireAdmin();
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient ->
                pool.withTransaction(
                    tx ->
                        (held
                                ? store.hold(tx, patientId, user.userId(), Times.now(clock))
                                : store.release(tx, patientId))
                            .compose(
                                done ->
                                    audit.record(
                                        tx,
                                        AuditEvent.by(user)
                                            .on("patient", patientId)
                                            .success(
                                                held
                                                    ? "patient.legal_hold_set"
                                                    : "patient.legal_hold_lifted")))))
        .map(held);
  }
}
