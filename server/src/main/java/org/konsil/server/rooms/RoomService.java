package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.consent.ConsentService;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.invitations.InviteeRequest;
import org.konsil.server.invitations.RoomInvitation;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.organisations.Organisation;
import org.konsil.server.organisations.OrganisationService;
import org.konsil.server.patients.Patient;
import org.konsil.server.patients.PatientService;

/**
 * Rooms: who may create them with whom, who sees them, and users' read markers. A patient room
 * exists only while an active consent covers every organisation in it.
 */
public final class RoomService {

  public static final int MAX_PARTNERS = 50;

  private final Pool pool;
  private final Clock clock;
  private final OrganisationService organisations;
  private final PatientService patients;
  private final ConsentService consents;
  private final AuditLog audit;
  private final LiveEvents live;
  private final InvitationService invitations;
  private final RoomStore store = new RoomStore();

  public RoomService(
      Pool pool,
      Clock clock,
      OrganisationService organisations,
      PatientService patients,
      ConsentService consents,
      AuditLog audit,
      LiveEvents live,
      InvitationService invitations) {
    this.invitations = invitations;
    this.pool = pool;
    this.clock = clock;
    this.organisations = organisations;
    this.patients = patients;
    this.consents = consents;
    this.audit = audit;
    this.live = live;
  }

  /** A general room of the user's organisation with active partner organisations. */
  public Future<Room> createGeneral(AuthenticatedUser user, String title, List<UUID> partners) {
    return createGeneral(user, title, partners, List.of(), false);
  }

  /**
   * A general room that also invites partners not on Konsil yet; their invitations go out with the
   * first message, or at once when {@code inviteNow}.
   */
  public Future<Room> createGeneral(
      AuthenticatedUser user,
      String title,
      List<UUID> partners,
      List<InviteeRequest> invitees,
      boolean inviteNow) {
    return create(user, title, partners, null, invitees, inviteNow);
  }

  /**
   * A room about one of the organisation's patients; refused with {@code consent_required} unless
   * an active consent covers every partner, {@code consent_revoked} after a revocation.
   */
  public Future<Room> createForPatient(
      AuthenticatedUser user, UUID patientId, String title, List<UUID> partners) {
    return patients
        .ownPatient(user, patientId)
        .compose(patient -> create(user, title, partners, patient, List.of(), false));
  }

  private Future<Room> create(
      AuthenticatedUser user,
      String title,
      List<UUID> partners,
      Patient patient,
      List<InviteeRequest> invitees,
      boolean inviteNow) {
    List<UUID> others = partners.stream().filter(id -> !id.equals(user.organisationId())).toList();
    UUID roomId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    List<UUID> members = new ArrayList<>();
    members.add(user.organisationId());
    members.addAll(others);
    return requireActive(others)
        .compose(
            active ->
                pool.withTransaction(
                    tx ->
                        coverage(tx, patient, others)
                            .compose(
                                covered ->
                                    store.insertRoom(
                                        tx,
                                        roomId,
                                        patient == null ? "general" : "patient",
                                        title,
                                        user.organisationId(),
                                        user.userId(),
                                        patient == null ? null : patient.id(),
                                        now))
                            .compose(
                                done ->
                                    invitees.isEmpty()
                                        ? Future.succeededFuture()
                                        : invitations.invite(tx, user, roomId, invitees, inviteNow))
                            .compose(done -> store.insertMembers(tx, roomId, members, now))
                            .compose(
                                done ->
                                    audit.record(
                                        tx,
                                        AuditEvent.by(user)
                                            .on("room", roomId)
                                            .with("kind", patient == null ? "general" : "patient")
                                            .with("patient", patient == null ? null : patient.id())
                                            .with("organisations", members.size())
                                            .success("room.created")))))
        .compose(done -> store.viewFor(pool, roomId, user.organisationId(), user.userId()))
        .onSuccess(room -> announceJoined(room, 0, members));
  }

  /**
   * Adds a partner organisation to a room; only its owner may (see {@link #requireOwner}), and for
   * a patient room an active consent must cover the partner. The new members see the whole history.
   */
  public Future<Room> addOrganisation(AuthenticatedUser user, UUID roomId, UUID organisationId) {
    OffsetDateTime now = Times.now(clock);
    return requireOwner(user, roomId, "room.organisation_added")
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
                                              .map(row -> new Object[] {p, row}));
                                })
                            .compose(
                                pair -> {
                                  Patient p = (Patient) pair[0];
                                  io.vertx.sqlclient.Row row = (io.vertx.sqlclient.Row) pair[1];
                                  return coverage(tx, p, List.of(organisationId))
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
                                      .map(row.getLong("last_seq"));
                                })))
        .compose(
            lastSeq ->
                store
                    .viewFor(pool, roomId, user.organisationId(), user.userId())
                    .onSuccess(room -> announceJoined(room, lastSeq, List.of(organisationId))));
  }

  /**
   * Refuses unless the user may add organisations to the room: an admin of the organisation that
   * owns it (the patient's, or the creator's for a general room), or the user who created it.
   * Outsiders get {@code not_a_member}, partners {@code not_room_owner}; both refusals are audited,
   * a partner's in the owner's trail too. Ownership never changes, so no lock is needed.
   */
  public Future<Void> requireOwner(AuthenticatedUser user, UUID roomId, String action) {
    return store
        .ownershipIfMember(pool, roomId, user.organisationId())
        .compose(
            row -> {
              if (row == null) {
                return refuse(user, roomId);
              }
              UUID owner = row.getUUID("owner_org");
              if (owner.equals(user.organisationId())
                  && (user.isAdmin() || user.userId().equals(row.getUUID("created_by_user")))) {
                return Future.succeededFuture();
              }
              return Refusals.record(
                      audit,
                      AuditEvent.by(user).on("room", roomId).with("reason", "not_room_owner"),
                      action,
                      owner)
                  .transform(done -> Future.<Void>failedFuture(ApiException.notRoomOwner()));
            });
  }

  /**
   * The owner's answer to an organisation that registered with one of the room's invitations:
   * confirmed, it joins the room (and its connected users start following it); rejected, it stays
   * outside. Only the room's owner answers ({@link #requireOwner}); both answers are audited.
   */
  public Future<RoomInvitation> decideRegistration(
      AuthenticatedUser user, UUID invitationId, boolean confirm) {
    OffsetDateTime now = Times.now(clock);
    String action = confirm ? "invitation.confirmed" : "invitation.rejected";
    return invitations
        .roomOf(invitationId)
        .compose(
            roomId -> {
              if (roomId == null) {
                return Future.failedFuture(ApiException.notFound("No such invitation."));
              }
              return requireOwner(user, roomId, action).map(roomId);
            })
        .compose(
            roomId ->
                pool.withTransaction(
                    // the room row before the invitation's, in the order a first message takes
                    // them when it sends the room's invitations
                    tx ->
                        store
                            .lockIfMember(tx, roomId, user.organisationId(), true)
                            .compose(
                                room ->
                                    invitations
                                        .lockPending(tx, invitationId)
                                        .compose(
                                            pending ->
                                                (confirm
                                                        ? admit(tx, user, pending, now)
                                                        : Future.<Void>succeededFuture())
                                                    .compose(
                                                        done ->
                                                            invitations.decide(
                                                                tx, user, pending, confirm))
                                                    .map(
                                                        done ->
                                                            new Decided(
                                                                pending,
                                                                room.getLong("last_seq")))))))
        .compose(
            decided -> {
              InvitationService.PendingRegistration pending = decided.registration();
              long lastSeq = decided.lastSeq();
              Future<Void> announced =
                  confirm
                      ? store
                          .viewFor(pool, pending.roomId(), user.organisationId(), user.userId())
                          .onSuccess(
                              room ->
                                  announceJoined(room, lastSeq, List.of(pending.organisationId())))
                          .mapEmpty()
                      : Future.succeededFuture();
              return announced.compose(
                  done -> invitations.shown(invitationId, user.organisationId()));
            });
  }

  /** A registration answered in a transaction, and the room's last sequence number then. */
  private record Decided(InvitationService.PendingRegistration registration, long lastSeq) {}

  /** Makes a confirmed organisation a member (it may be one already, added by hand meanwhile). */
  private Future<Void> admit(
      SqlClient tx,
      AuthenticatedUser user,
      InvitationService.PendingRegistration pending,
      OffsetDateTime now) {
    return store
        .isMember(tx, pending.roomId(), pending.organisationId())
        .compose(
            already ->
                already
                    ? Future.succeededFuture()
                    : store
                        .insertMembers(tx, pending.roomId(), List.of(pending.organisationId()), now)
                        .compose(
                            done ->
                                audit.record(
                                    tx,
                                    AuditEvent.by(user)
                                        .on("room", pending.roomId())
                                        .with("organisation", pending.organisationId())
                                        .with("invitation", pending.invitationId())
                                        .success("room.organisation_added"))));
  }

  /** Locks the patient (when there is one) and checks that the consent covers the organisations. */
  private Future<Void> coverage(SqlClient tx, Patient patient, List<UUID> organisations) {
    if (patient == null) {
      return Future.succeededFuture();
    }
    return patients
        .lock(tx, patient.id())
        .compose(locked -> consents.requireCoverage(tx, locked, organisations));
  }

  private Future<Void> requireActive(List<UUID> ids) {
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

  private void announceJoined(Room room, long seq, List<UUID> organisations) {
    live.joined(
        room.id(),
        seq,
        organisations,
        new JsonObject()
            .put("type", "joined")
            .put("room", room.toJson().put("unread", 0).put("readSeq", 0))
            .encode());
  }

  public Future<JsonArray> list(AuthenticatedUser user) {
    return store
        .listFor(pool, user.organisationId(), user.userId())
        .map(rooms -> new JsonArray(rooms.stream().map(Room::toJson).toList()));
  }

  public Future<Room> view(AuthenticatedUser user, UUID roomId) {
    return store
        .viewFor(pool, roomId, user.organisationId(), user.userId())
        .compose(room -> room == null ? refuse(user, roomId) : Future.succeededFuture(room));
  }

  /** The room's last sequence number, refusing anyone whose organisation is not a member. */
  public Future<Long> requireMember(AuthenticatedUser user, UUID roomId) {
    return store
        .lastSeqIfMember(pool, roomId, user.organisationId())
        .compose(seq -> seq == null ? refuse(user, roomId) : Future.succeededFuture(seq));
  }

  /**
   * Refuses a room the user's organisation is not in (or that does not exist), audited; also in the
   * owning organisation's trail when the room exists. The answer is the same either way.
   */
  public <T> Future<T> refuse(AuthenticatedUser user, UUID roomId) {
    return store
        .ownerOf(pool, roomId)
        .otherwiseEmpty()
        .compose(
            owner ->
                Refusals.record(audit, AuditEvent.by(user).on("room", roomId), "room.read", owner))
        .transform(done -> Future.failedFuture(ApiException.notAMember()));
  }

  /**
   * Where each room of the organisation stands (last sequence number, revoked or not), read from
   * the database for a connection that starts following them.
   */
  public Future<List<RoomPosition>> positionsOf(UUID organisationId) {
    return store.positionsOf(pool, organisationId);
  }

  /** Moves the user's read marker and answers the room's unread count after it. */
  public Future<ReadMarker> markRead(AuthenticatedUser user, UUID roomId, long seq) {
    return requireMember(user, roomId)
        .compose(
            last -> store.advanceReadMarker(pool, user.userId(), roomId, seq, Times.now(clock)))
        .compose(done -> view(user, roomId))
        .map(room -> new ReadMarker(roomId, room.readSeq(), room.unread()));
  }
}
