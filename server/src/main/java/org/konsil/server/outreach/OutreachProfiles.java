package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientService;

/**
 * A patient's tags and recall date, which the campaign's recipient picker filters by. Only the
 * patient's own organisation reads or changes them; another organisation's patient is answered
 * exactly like an unknown one (and the refusal audited). Reads and changes are audited in the same
 * transaction, with counts only: a tag may say something about the patient's health.
 */
public final class OutreachProfiles {

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final AuditLog audit;
  private final OutreachProfileStore store = new OutreachProfileStore();

  public OutreachProfiles(Pool pool, Clock clock, PatientService patients, AuditLog audit) {
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.audit = audit;
  }

  OutreachProfileStore store() {
    return store;
  }

  /** The patient's tags and recall date; audited as {@code outreach_profile.read}. */
  public Future<OutreachProfile> view(AuthenticatedUser user, UUID patientId) {
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient ->
                pool.withTransaction(
                    tx ->
                        store
                            .one(tx, user.organisationId(), patientId)
                            .compose(
                                profile ->
                                    audit
                                        .record(
                                            tx,
                                            AuditEvent.by(user)
                                                .on("patient", patientId)
                                                .success("outreach_profile.read"))
                                        .map(profile))));
  }

  /**
   * Replaces the patient's tags (normalised, see {@link OutreachProfile#normalise}) and recall
   * date; audited as {@code outreach_profile.changed}. The patient row is locked, so an erasure
   * running at the same time either comes after (and removes the profile) or finds it gone.
   */
  public Future<OutreachProfile> replace(
      AuthenticatedUser user, UUID patientId, List<String> tags, LocalDate recallDue) {
    List<String> normalised = OutreachProfile.normalise(tags);
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient ->
                pool.withTransaction(
                    tx ->
                        patients
                            .lock(tx, patientId)
                            .compose(
                                locked -> {
                                  if (locked == null) {
                                    throw ApiException.notFound("No such patient.");
                                  }
                                  return store.replace(
                                      tx,
                                      user.organisationId(),
                                      patientId,
                                      normalised,
                                      recallDue,
                                      user.userId(),
                                      Times.now(clock));
                                })
                            .compose(
                                stored -> {
                                  if (!stored) {
                                    throw ApiException.notFound("No such patient.");
                                  }
                                  return audit.record(
                                      tx,
                                      AuditEvent.by(user)
                                          .on("patient", patientId)
                                          .with("tags", normalised.size())
                                          .with("recallDue", recallDue != null)
                                          .success("outreach_profile.changed"));
                                })
                            .compose(done -> store.one(tx, user.organisationId(), patientId))));
  }
}
