package org.konsil.server.records;

import ca.uhn.fhir.context.FhirContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.UUID;
import java.util.function.Function;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.http.ApiException;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientService;
import org.konsil.server.records.RecordRows.RoomRow;
import org.konsil.server.rooms.RoomService;

/**
 * Exports of a room's record as FHIR R4 for the organisation whose documentation it is: checks who
 * asks, writes the export to the audit trail, and hands back the export to be streamed.
 */
public final class RecordsService {

  public static final String FHIR_JSON = "application/fhir+json";

  private final Clock clock;
  private final RoomService rooms;
  private final AuditLog audit;
  private final FhirContext fhir;
  private final String publicUrl;
  private final RecordsStore store;
  private final RoomRecord roomRecord;
  private final BulkExports bulk;
  private final PatientErasure erasure;
  private final RetentionService retention;
  private final RetentionJob retentionJob;
  private final PatientDataExport dataExport;

  public RecordsService(
      Vertx vertx,
      Pool pool,
      Clock clock,
      RoomService rooms,
      AuditLog audit,
      Function<UUID, Path> files,
      FhirContext fhir,
      String publicUrl,
      Path exportsFolder,
      PatientService patients) {
    this.clock = clock;
    this.rooms = rooms;
    this.audit = audit;
    this.fhir = fhir;
    this.publicUrl = publicUrl;
    this.store = new RecordsStore(pool);
    this.roomRecord = new RoomRecord(vertx, store, new FileDigests(files));
    this.bulk =
        new BulkExports(
            vertx, pool, clock, audit, store, roomRecord, fhir, publicUrl, exportsFolder);
    RetentionStore retentionStore = new RetentionStore(pool);
    this.retention = new RetentionService(pool, clock, audit, patients, retentionStore);
    this.retentionJob = new RetentionJob(vertx, pool, clock, audit, retentionStore, files);
    this.erasure = new PatientErasure(vertx, pool, clock, patients, audit, files, retentionStore);
    this.dataExport =
        new PatientDataExport(
            vertx,
            clock,
            patients,
            audit,
            store,
            roomRecord,
            fhir,
            publicUrl,
            files,
            exportsFolder.resolve("access"));
  }

  /** Retention settings and legal holds. */
  public RetentionService retention() {
    return retention;
  }

  /** The daily removal of what is past its retention. */
  public RetentionJob retentionJob() {
    return retentionJob;
  }

  /** Everything about a patient as a ZIP, on request. */
  public PatientDataExport dataExport() {
    return dataExport;
  }

  /** Erasure of patients on request. */
  public PatientErasure erasure() {
    return erasure;
  }

  /** Bulk exports of all rooms of an organisation. */
  public BulkExports bulk() {
    return bulk;
  }

  /**
   * The room's record as one FHIR Bundle, for an administrator of the organisation that owns the
   * room. Refusals as for the PDF export: {@code not_a_member}, {@code admin_required}, {@code
   * export_not_allowed} (audited, in the owner's trail too). The export is audited before its first
   * byte is written.
   */
  public Future<RecordExport> roomBundle(AuthenticatedUser user, UUID roomId) {
    return requireOwnerAdmin(user, roomId, "room.fhir_exported")
        .compose(
            room ->
                audit
                    .recordAlone(
                        AuditEvent.by(user)
                            .on("room", roomId)
                            .with("format", "fhir-r4-bundle")
                            .success("room.fhir_exported"))
                    .map(done -> bundle(room)));
  }

  private RecordExport bundle(RoomRow room) {
    UUID bundleId = UUID.randomUUID();
    return new RecordExport() {
      @Override
      public String mediaType() {
        return FHIR_JSON;
      }

      @Override
      public String fileName() {
        return "room-" + room.id() + ".fhir.json";
      }

      @Override
      public Future<Void> writeTo(Function<Buffer, Future<Void>> out) {
        BundleFormat format = new BundleFormat(fhir, bundleId, clock.instant());
        return out.apply(format.head())
            .compose(
                done ->
                    roomRecord.write(
                        room, FhirRefs.forBundle(publicUrl), format, out, new HashSet<>()))
            .compose(done -> out.apply(format.tail()));
      }
    };
  }

  /** The room, if the user is an administrator of the organisation whose documentation it is. */
  Future<RoomRow> requireOwnerAdmin(AuthenticatedUser user, UUID roomId, String action) {
    return rooms
        .view(user, roomId)
        .compose(
            view -> {
              user.requireAdmin();
              UUID owner = view.owningOrganisationId();
              if (owner.equals(user.organisationId())) {
                return store.room(roomId);
              }
              return Refusals.record(
                      audit,
                      AuditEvent.by(user).on("room", roomId).with("reason", "export_not_allowed"),
                      action,
                      owner)
                  .transform(done -> Future.failedFuture(exportNotAllowed()));
            });
  }

  static ApiException exportNotAllowed() {
    return ApiException.forbidden(
        "export_not_allowed",
        "Only the organisation whose documentation this room is may export it.");
  }
}
