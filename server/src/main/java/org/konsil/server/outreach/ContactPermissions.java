package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.consent.ConsentService;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.StoredFile;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientService;

/**
 * A patient's permissions to be contacted, per channel and purpose: granted with a signed form,
 * withdrawn by staff or through the opt-out link of a message. Every change is a new history row
 * (the table refuses updates), recorded with its audit event in one transaction.
 */
public final class ContactPermissions {

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final FileStore files;
  private final AuditLog audit;
  private final ContactPermissionStore store;

  public ContactPermissions(
      Pool pool, Clock clock, PatientService patients, FileStore files, AuditLog audit) {
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.files = files;
    this.audit = audit;
    this.store = new ContactPermissionStore(pool);
  }

  /** The defaults and the organisation's own purposes. */
  public Future<List<ContactPurpose>> purposes(AuthenticatedUser user) {
    return store.purposes(user.organisationId());
  }

  /** Adds a purpose to the organisation's list (administrators only); audited. */
  public Future<List<ContactPurpose>> addPurpose(
      AuthenticatedUser user, String code, String label) {
    user.requireAdmin();
    if (!code.matches("[a-z][a-z0-9_]{1,39}")) {
      throw ApiException.validation(
          "'code' must be 2 to 40 lower-case letters, digits or underscores, starting with a letter.");
    }
    if (ContactPurpose.DEFAULTS.stream().anyMatch(p -> p.code().equals(code))) {
      throw ApiException.conflict("purpose_exists", "This purpose is already on the list.");
    }
    return pool.withTransaction(
            tx ->
                store
                    .addPurpose(
                        tx, user.organisationId(), code, label, user.userId(), Times.now(clock))
                    .compose(
                        added -> {
                          if (!added) {
                            throw ApiException.conflict(
                                "purpose_exists", "This purpose is already on the list.");
                          }
                          return audit.record(
                              tx,
                              AuditEvent.by(user)
                                  .with("purpose", code)
                                  .success("contact_purpose.added"));
                        }))
        .compose(done -> purposes(user));
  }

  /**
   * Records the patient's signed form granting contact on each channel for each purpose: one
   * history row per pair, all pointing to the stored form.
   */
  public Future<List<ContactPermission>> grant(
      AuthenticatedUser user,
      UUID patientId,
      List<String> channels,
      List<String> purposes,
      LocalDate date,
      HttpServerRequest body) {
    refuseFuture(date);
    return patients
        .ownPatient(user, patientId)
        .compose(patient -> requireKnown(user, purposes))
        .compose(
            known ->
                files.receive(
                    body, ConsentService.DOCUMENT_TYPES, ConsentService.MAX_DOCUMENT_BYTES, null))
        .compose(
            file ->
                pool.withTransaction(
                        tx -> recordGrant(tx, user, patientId, channels, purposes, date, file))
                    .onFailure(failure -> files.discard(file.id())));
  }

  private Future<List<ContactPermission>> recordGrant(
      SqlClient tx,
      AuthenticatedUser user,
      UUID patientId,
      List<String> channels,
      List<String> purposes,
      LocalDate date,
      StoredFile file) {
    OffsetDateTime now = Times.now(clock);
    List<ContactPermission> rows = new ArrayList<>();
    for (String channel : channels) {
      for (String purpose : purposes) {
        rows.add(
            new ContactPermission(
                UUID.randomUUID(),
                patientId,
                channel,
                purpose,
                "granted",
                date,
                "signed_form",
                file.id(),
                user.userId(),
                now));
      }
    }
    Future<Void> chain =
        patients.lock(tx, patientId).compose(locked -> files.record(tx, file, user.userId(), now));
    for (ContactPermission row : rows) {
      chain = chain.compose(done -> store.insert(tx, row));
    }
    return chain
        .compose(
            done ->
                audit.record(
                    tx,
                    AuditEvent.by(user)
                        .on("patient", patientId)
                        .with("channels", new JsonArray(channels))
                        .with("purposes", new JsonArray(purposes))
                        .with("document", file.id())
                        .success("contact_permission.granted")))
        .map(rows);
  }

  /** Records a withdrawal the practice was told of; refused unless the permission stands. */
  public Future<ContactPermission> withdraw(
      AuthenticatedUser user, UUID patientId, String channel, String purpose, LocalDate date) {
    refuseFuture(date);
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient ->
                pool.withTransaction(
                    tx ->
                        patients
                            .lock(tx, patientId)
                            .compose(
                                locked -> store.current(tx, List.of(patientId), channel, purpose))
                            .compose(
                                current -> {
                                  ContactPermission newest = current.get(patientId);
                                  if (newest == null || !"granted".equals(newest.kind())) {
                                    throw ApiException.conflict(
                                        "permission_not_granted",
                                        "The patient has not granted this permission.");
                                  }
                                  ContactPermission row =
                                      new ContactPermission(
                                          UUID.randomUUID(),
                                          patientId,
                                          channel,
                                          purpose,
                                          "withdrawn",
                                          date,
                                          "staff",
                                          null,
                                          user.userId(),
                                          Times.now(clock));
                                  return store
                                      .insert(tx, row)
                                      .compose(
                                          done ->
                                              audit.record(
                                                  tx,
                                                  AuditEvent.by(user)
                                                      .on("patient", patientId)
                                                      .with("channel", channel)
                                                      .with("purpose", purpose)
                                                      .success("contact_permission.withdrawn")))
                                      .map(row);
                                })));
  }

  /**
   * Withdraws a permission through the opt-out link of a message, in the caller's transaction;
   * answers false when it was no longer granted (nothing is written then).
   */
  Future<Boolean> optOut(
      SqlClient tx, UUID organisationId, UUID patientId, String channel, String purpose) {
    return store
        .current(tx, List.of(patientId), channel, purpose)
        .compose(
            current -> {
              ContactPermission newest = current.get(patientId);
              if (newest == null || !"granted".equals(newest.kind())) {
                return Future.succeededFuture(false);
              }
              OffsetDateTime now = Times.now(clock);
              ContactPermission row =
                  new ContactPermission(
                      UUID.randomUUID(),
                      patientId,
                      channel,
                      purpose,
                      "withdrawn",
                      LocalDate.ofInstant(now.toInstant(), ZoneOffset.UTC),
                      "opt_out_link",
                      null,
                      null,
                      now);
              return store
                  .insert(tx, row)
                  .compose(
                      done ->
                          audit.record(
                              tx,
                              AuditEvent.by(null, null)
                                  .forOrganisation(organisationId)
                                  .on("patient", patientId)
                                  .with("channel", channel)
                                  .with("purpose", purpose)
                                  .success("contact_permission.opted_out")))
                  .map(true);
            });
  }

  /** The newest history row per patient for a channel and purpose, in the caller's client. */
  Future<Map<UUID, ContactPermission>> current(
      SqlClient client, Collection<UUID> patientIds, String channel, String purpose) {
    return store.current(client, patientIds, channel, purpose);
  }

  /** Where each channel and purpose stands for the patient, and the whole history; audited. */
  public Future<JsonObject> view(AuthenticatedUser user, UUID patientId) {
    return patients
        .ownPatient(user, patientId)
        .compose(patient -> store.history(patientId))
        .compose(
            history ->
                audit
                    .recordAlone(
                        AuditEvent.by(user)
                            .on("patient", patientId)
                            .success("contact_permission.read"))
                    .map(done -> standing(history)));
  }

  private static JsonObject standing(List<ContactPermission> history) {
    Map<String, ContactPermission> newest = new LinkedHashMap<>();
    for (ContactPermission row : history) {
      newest.putIfAbsent(row.channel() + "\u0000" + row.purpose(), row);
    }
    JsonArray current = new JsonArray();
    for (ContactPermission row : newest.values()) {
      current.add(
          new JsonObject()
              .put("channel", row.channel())
              .put("purpose", row.purpose())
              .put("status", row.status())
              .put("since", row.date().toString()));
    }
    return new JsonObject()
        .put("current", current)
        .put("history", new JsonArray(history.stream().map(ContactPermission::toJson).toList()));
  }

  /** Where a signed form lies and its media type. */
  public record Document(Path path, String mediaType) {}

  /** A signed form of the organisation's patient, for reading; audited. */
  public Future<Document> document(AuthenticatedUser user, UUID permissionId) {
    return store
        .byId(permissionId)
        .compose(
            row -> {
              if (row == null || row.documentId() == null) {
                throw ApiException.notFound("No such document.");
              }
              return patients
                  .ownPatient(user, row.patientId())
                  .recover(
                      failure -> Future.failedFuture(ApiException.notFound("No such document.")))
                  .compose(
                      patient ->
                          audit.recordAlone(
                              AuditEvent.by(user)
                                  .on("patient", row.patientId())
                                  .with("document", row.documentId())
                                  .success("contact_permission.document_read")))
                  .compose(done -> store.mediaType(row.documentId()))
                  .map(type -> new Document(files.path(row.documentId()), type));
            });
  }

  private Future<Void> requireKnown(AuthenticatedUser user, List<String> wanted) {
    return store
        .purposes(user.organisationId())
        .map(
            known -> {
              for (String purpose : wanted) {
                if (known.stream().noneMatch(p -> p.code().equals(purpose))) {
                  throw ApiException.validation(
                      "'" + purpose + "' is not one of the organisation's purposes.");
                }
              }
              return null;
            });
  }

  private void refuseFuture(LocalDate date) {
    if (date.isAfter(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC))) {
      throw ApiException.validation("'date' lies in the future.");
    }
  }
}
