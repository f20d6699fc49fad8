package org.konsil.server.rooms;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.invitations.InviteeRequest;
import org.konsil.server.patients.Patient;
import org.konsil.server.patients.PatientService;

/**
 * Creates rooms: who may create them with whom. A patient room exists only while an active consent
 * covers every organisation in it.
 */
public final class RoomCreation {

  public static final int MAX_PARTNERS = 50;

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final AuditLog audit;
  private final InvitationService invitations;
  private final RoomMembership membership;
  private final RoomStore store = new RoomStore();

  public RoomCreation(
      Pool pool,
      Clock clock,
      PatientService patients,
      AuditLog audit,
      InvitationService invitations,
      RoomMembership membership) {
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.audit = audit;
    this.invitations = invitations;
    this.membership = membership;
  }

  /** A general room of the user's organisation with active partner organisations. */
  public Future<Room> createGeneral(AuthenticatedUser user, String title, List<UUID> partners) {
    return createGeneral(user, title, partners, List.of(), false, false);
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
      boolean inviteNow,
      boolean encrypted) {
    return create(user, title, partners, null, invitees, inviteNow, encrypted);
  }

  /**
   * A room about one of the organisation's patients; refused with {@code consent_required} unless
   * an active consent covers every partner, {@code consent_revoked} after a revocation.
   */
  public Future<Room> createForPatient(
      AuthenticatedUser user,
      UUID patientId,
      String title,
      List<UUID> partners,
      boolean encrypted) {
    return patients
        .ownPatient(user, patientId)
        .compose(patient -> create(user, title, partners, patient, List.of(), false, encrypted));
  }

  private Future<Room> create(
      AuthenticatedUser user,
      String title,
      List<UUID> partners,
      Patient patient,
      List<InviteeRequest> invitees,
      boolean inviteNow,
      boolean encrypted) {
    List<UUID> others = partners.stream().filter(id -> !id.equals(user.organisationId())).toList();
    UUID roomId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    List<UUID> members = new ArrayList<>();
    members.add(user.organisationId());
    members.addAll(others);
    return membership
        .requireActive(others)
        .compose(
            active ->
                pool.withTransaction(
                    tx ->
                        membership
                            .coverage(tx, patient, others)
                            .compose(
                                covered ->
                                    store.insertRoom(
                                        tx,
                                        roomId,
                                        patient == null ? "general" : "patient",
                                        encrypted,
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
                                            .with("encrypted", encrypted)
                                            .with("patient", patient == null ? null : patient.id())
                                            .with("organisations", members.size())
                                            .success("room.created")))))
        .compose(done -> store.viewFor(pool, roomId, user.organisationId(), user.userId()))
        .onSuccess(room -> membership.announceJoined(room, 0, members));
  }
}
