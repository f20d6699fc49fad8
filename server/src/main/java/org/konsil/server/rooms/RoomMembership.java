package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.consent.ConsentService;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.organisations.Organisation;
import org.konsil.server.organisations.OrganisationService;
import org.konsil.server.patients.Patient;
import org.konsil.server.patients.PatientService;

/**
 * Which organisations are in a room: adding a partner, and the checks every new member passes (an
 * active organisation, covered by the patient's consent in a patient room) and the joined event
 * that lets its connected users follow the room.
 */
public final class RoomMembership {

  private final Pool pool;
  private final Clock clock;
  private final OrganisationService organisations;
  private final PatientService patients;
  private final ConsentService consents;
  private final AuditLog audit;
  private final LiveEvents live;
  private final RoomService rooms;
  private final RoomStore store = new RoomStore();

  public RoomMembership(
      Pool pool,
      Clock clock,
      OrganisationService organisations,
      PatientService patients,
      ConsentService consents,
      AuditLog audit,
      LiveEvents live,
      RoomService rooms) {
    this.pool = pool;
    this.clock = clock;
    this.organisations = organisations;
    this.patients = patients;
    this.consents = consents;
    this.audit = audit;
    this.live = live;
    this.rooms = rooms;
  }

  /**
   * Adds a partner organisation to a room; only its owner may (see {@link
   * RoomService#requireOwner}), and for a patient room an active consent must cover the partner.
   * The new members see the whole history.
   */
  public Future<Room> addOrganisation(AuthenticatedUser user, UUID roomId, UUID organisationId) {
    OffsetDateTime now = Times.now(clock);
    return rooms
        .requireOwner(user, roomId, "room.organisation_added")
        .compose(owner -> requireActive(List.of(organisationId)))
        .compose(
            active ->
                pool.withTransaction(
                    tx ->
                        // The patient row is locked before the room row, in the same order as a
                        // revocation takes them, so the two cannot deadlock.
                        store
                            .lockIfMember(tx, roomId, user.organisationId(), false)
                            .compose(
                                unlocked -> {
                                  if (unlocked == null) {
                                    throw ApiException.notAMember();
                                  }
                                  UUID patientId = unlocked.getUUID("patient_id");
                                  Future<Patient> patient =
                                      patientId == null
                                          ? Future.succeededFuture(null)
                                          : patients.lock(tx, patientId);
                                  return patient.compose(
                                      p ->
                                          store
                                              .lockIfMember(tx, roomId, user.organisationId(), true)
                                              .map(row -> new Locked(p, lockedOrRefused(row))));
                                })
                            .compose(
                                locked ->
                                    coverage(tx, locked.patient(), List.of(organisationId))
                                        .compose(done -> store.isMember(tx, roomId, organisationId))
                                        .compose(
                                            already -> {
                                              if (already) {
                                                throw ApiException.conflict(
                                                    "already_a_member",
                                                    "The organisation is in the room already.");
                                              }
                                              return store.insertMembers(
                                                  tx, roomId, List.of(organisationId), now);
                                            })
                                        .compose(
                                            done ->
                                                audit.record(
                                                    tx,
                                                    AuditEvent.by(user)
                                                        .on("room", roomId)
                                                        .with("organisation", organisationId)
                                                        .success("room.organisation_added")))
                                        .map(locked.room().getLong("last_seq")))))
        .compose(
            lastSeq ->
                store
                    .viewFor(pool, roomId, user.organisationId(), user.userId())
                    .onSuccess(room -> announceJoined(room, lastSeq, List.of(organisationId))));
  }

  /** The room's patient (null for a general room) and the locked room row, in that lock order. */
  private record Locked(Patient patient, Row room) {}

  /** Locks the patient (when there is one) and checks that the consent covers the organisations. */
  Future<Void> coverage(SqlClient tx, Patient patient, List<UUID> organisations) {
    if (patient == null) {
      return Future.succeededFuture();
    }
    return patients
        .lock(tx, patient.id())
        .compose(locked -> consents.requireCoverage(tx, locked, organisations));
  }

  /** Refuses with {@code organisation_not_active} unless every organisation is active. */
  Future<Void> requireActive(List<UUID> ids) {
    return organisations
        .activeOrganisations(ids)
        .map(
            found -> {
              if (found.size() != ids.size()) {
                List<UUID> missing = new ArrayList<>(ids);
                missing.removeAll(found.stream().map(Organisation::id).toList());
                throw new ApiException(
                    422,
                    "organisation_not_active",
                    "These partner organisations are unknown or not active: " + missing + ".");
              }
              return null;
            });
  }

  /** Tells the new member organisations' connected users to follow the room from {@code seq}. */
  void announceJoined(Room room, long seq, List<UUID> organisations) {
    live.joined(
        room.id(),
        seq,
        organisations,
        new JsonObject()
            .put("type", "joined")
            .put("room", room.toJson().put("unread", 0).put("readSeq", 0))
            .encode());
  }

  /**
   * The room's row, locked; none when the room was taken for removal (retention) or left while the
   * lock was awaited, which is refused like any room the user is not a member of.
   */
  static Row lockedOrRefused(Row room) {
    if (room == null) {
      throw ApiException.notAMember();
    }
    return room;
  }
}
