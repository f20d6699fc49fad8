package org.konsil.server.patients;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/** Patients of an organisation: created and found by its own users only, every access audited. */
public final class PatientService {

  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final PatientStore store;

  public PatientService(Pool pool, Clock clock, AuditLog audit) {
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
    this.store = new PatientStore(pool);
  }

  public Future<Patient> create(
      AuthenticatedUser user,
      String familyName,
      String givenName,
      LocalDate birthDate,
      String insuranceNumber,
      String email,
      String mobile,
      PostalAddress address) {
    if (birthDate.isAfter(LocalDate.ofInstant(clock.instant(), java.time.ZoneOffset.UTC))) {
      throw ApiException.validation("'birthDate' lies in the future.");
    }
    Patient patient =
        new Patient(
            UUID.randomUUID(),
            user.organisationId(),
            familyName,
            givenName,
            birthDate,
            insuranceNumber,
            email,
            mobile,
            null,
            address);
    return pool.withTransaction(
        tx ->
            store
                .insert(tx, patient, user.userId(), Times.now(clock))
                .compose(
                    done ->
                        audit.record(
                            tx,
                            AuditEvent.by(user)
                                .on("patient", patient.id())
                                .success("patient.created")))
                .map(patient));
  }

  /**
   * Sets the patient's e-mail address and mobile number (already checked and normalised; null
   * clears). A field that is not given keeps its value. Audited as {@code patient.contact_changed}
   * with the names of the changed fields, never their values.
   */
  public Future<Patient> changeContact(
      AuthenticatedUser user,
      UUID patientId,
      boolean setEmail,
      String email,
      boolean setMobile,
      String mobile) {
    return ownPatient(user, patientId)
        .compose(
            known ->
                pool.withTransaction(
                    tx ->
                        store
                            .lock(tx, patientId)
                            .compose(
                                patient -> {
                                  if (patient == null) {
                                    return Future.failedFuture(
                                        ApiException.notFound("No such patient."));
                                  }
                                  Patient changed =
                                      patient.withContact(
                                          setEmail ? email : patient.email(),
                                          setMobile ? mobile : patient.mobile());
                                  List<String> fields = new java.util.ArrayList<>();
                                  if (!java.util.Objects.equals(changed.email(), patient.email())) {
                                    fields.add("email");
                                  }
                                  if (!java.util.Objects.equals(
                                      changed.mobile(), patient.mobile())) {
                                    fields.add("mobile");
                                  }
                                  return store
                                      .setContact(tx, patientId, changed.email(), changed.mobile())
                                      .compose(
                                          done ->
                                              audit.record(
                                                  tx,
                                                  AuditEvent.by(user)
                                                      .on("patient", patientId)
                                                      .with("fields", String.join(",", fields))
                                                      .success("patient.contact_changed")))
                                      .map(changed);
                                })));
  }

  /** Sets (or clears) the patient's salutation and postal address; audited. */
  public Future<Patient> setPostalAddress(
      AuthenticatedUser user, UUID patientId, PostalAddress address) {
    return ownPatient(user, patientId)
        .compose(
            found ->
                pool.withTransaction(
                    tx ->
                        store
                            .setAddress(tx, patientId, address)
                            .compose(
                                done ->
                                    audit.record(
                                        tx,
                                        AuditEvent.by(user)
                                            .on("patient", patientId)
                                            .success("patient.address_changed")))
                            .compose(done -> store.lock(tx, patientId))));
  }

  /** The organisation's patients by name and/or birth date, each with where its consent stands. */
  public Future<List<FoundPatient>> search(
      AuthenticatedUser user, String name, LocalDate birthDate) {
    if (name == null && birthDate == null) {
      throw ApiException.validation("Give 'query' or 'birthDate'.");
    }
    return pool.withTransaction(
        tx ->
            store
                .search(tx, user.organisationId(), name, birthDate)
                .compose(
                    found ->
                        audit
                            .record(
                                tx,
                                AuditEvent.by(user)
                                    .with("results", found.size())
                                    .success("patient.searched"))
                            .map(found)));
  }

  /**
   * A patient of the user's own organisation; anyone else's (or an unknown id) is refused and
   * audited.
   */
  public Future<Patient> ownPatient(AuthenticatedUser user, UUID patientId) {
    return store
        .byId(patientId)
        .compose(
            patient -> {
              if (patient == null || !patient.organisationId().equals(user.organisationId())) {
                return refuse(user, patientId);
              }
              return Future.succeededFuture(patient);
            });
  }

  /** Reads one of the organisation's patients, audited. */
  public Future<Patient> read(AuthenticatedUser user, UUID patientId) {
    return ownPatient(user, patientId)
        .compose(
            patient ->
                audit
                    .recordAlone(
                        AuditEvent.by(user).on("patient", patientId).success("patient.read"))
                    .map(patient));
  }

  /** The patient row, locked for the caller's transaction. */
  public Future<Patient> lock(SqlClient tx, UUID patientId) {
    return store.lock(tx, patientId);
  }

  public Future<Patient> byId(UUID patientId) {
    return store.byId(patientId);
  }

  public Future<Void> markRevoked(SqlClient tx, UUID patientId) {
    return store.markRevoked(tx, patientId, Times.now(clock));
  }

  /**
   * Refuses access to a patient and writes the refusal to the audit trail, the patient
   * organisation's too when the patient exists; the answer is the same either way.
   */
  public <T> Future<T> refuse(AuthenticatedUser user, UUID patientId) {
    return store
        .byId(patientId)
        .<UUID>map(patient -> patient == null ? null : patient.organisationId())
        .otherwiseEmpty()
        .compose(
            owner ->
                Refusals.record(
                    audit, AuditEvent.by(user).on("patient", patientId), "patient.read", owner))
        .transform(done -> Future.failedFuture(ApiException.notFound("No such patient.")));
  }
}
