package org.konsil.server.records;

import ca.uhn.fhir.context.FhirContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.files.PrivateFiles;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bulk exports of every room an organisation holds the documentation of, as FHIR NDJSON: a job that
 * writes the rooms one after the other, page by page, to a file under the data folder and records
 * its progress, so that an administrator can watch it and download the file once done. Starting a
 * new export deletes the organisation's earlier export files.
 */
public final class BulkExports {

  private static final Logger LOG = LoggerFactory.getLogger(BulkExports.class);

  /** A running job whose progress did not move for this long was left by a stopped node. */
  static final Duration STALLED = Duration.ofMinutes(10);

  /** Where a finished export is and what to call it. */
  public record Download(Path path, String fileName) {}

  private final Vertx vertx;
  private final Clock clock;
  private final AuditLog audit;
  private final RecordsStore records;
  private final RoomRecord roomRecord;
  private final ExportJobStore jobs;
  private final FhirContext fhir;
  private final String publicUrl;
  private final Path folder;

  BulkExports(
      Vertx vertx,
      Pool pool,
      Clock clock,
      AuditLog audit,
      RecordsStore records,
      RoomRecord roomRecord,
      FhirContext fhir,
      String publicUrl,
      Path folder) {
    this.vertx = vertx;
    this.clock = clock;
    this.audit = audit;
    this.records = records;
    this.roomRecord = roomRecord;
    this.jobs = new ExportJobStore(pool);
    this.fhir = fhir;
    this.publicUrl = publicUrl;
    this.folder = folder;
  }

  /** Starts an export of the caller's organisation; {@code 409 export_running} while one runs. */
  public Future<ExportJob> start(AuthenticatedUser user) {
    user.requireAdmin();
    UUID organisation = user.organisationId();
    OffsetDateTime now = Times.now(clock);
    UUID id = UUID.randomUUID();
    return jobs.ownRooms(organisation)
        .compose(
            rooms ->
                jobs.start(id, organisation, user.userId(), rooms.size(), now, now.minus(STALLED))
                    .compose(
                        job -> {
                          if (job == null) {
                            throw ApiException.conflict(
                                "export_running",
                                "An export of your organisation is still running; wait for it"
                                    + " to finish.");
                          }
                          return audit
                              .recordAlone(
                                  AuditEvent.by(user)
                                      .on("export", id)
                                      .with("rooms", rooms.size())
                                      .with("format", "fhir-r4-ndjson")
                                      .success("organisation.fhir_exported"))
                              .map(
                                  done -> {
                                    run(job, rooms);
                                    return job;
                                  });
                        }));
  }

  /** The job of the caller's organisation; {@code 404 not_found} for any other id. */
  public Future<ExportJob> status(AuthenticatedUser user, UUID id) {
    user.requireAdmin();
    return jobs.byId(id, user.organisationId())
        .map(
            job -> {
              if (job == null) {
                throw ApiException.notFound("There is no export with this id.");
              }
              return job;
            });
  }

  /** The finished file, audited; {@code 409 export_not_ready} while running or after failing. */
  public Future<Download> download(AuthenticatedUser user, UUID id) {
    return status(user, id)
        .compose(
            job -> {
              if (!"done".equals(job.status())) {
                throw ApiException.conflict(
                    "export_not_ready",
                    "This export is " + job.status() + "; only a finished export can be fetched.");
              }
              return audit
                  .recordAlone(
                      AuditEvent.by(user).on("export", id).success("organisation.export_fetched"))
                  .map(
                      done ->
                          new Download(file(job), "konsil-export-" + job.id() + ".fhir.ndjson"));
            });
  }

  private Path file(ExportJob job) {
    return folder.resolve(job.organisationId().toString()).resolve(job.id() + ".ndjson");
  }

  /** Writes the rooms one after the other; never fails: a failure is the job's status. */
  private void run(ExportJob job, List<UUID> rooms) {
    Path path = file(job);
    AtomicLong bytes = new AtomicLong();
    vertx
        .executeBlocking(() -> prepare(path), false)
        .compose(
            ready ->
                vertx
                    .fileSystem()
                    .open(
                        path.toString(),
                        new OpenOptions().setCreateNew(true).setWrite(true).setPerms("rw-------")))
        .compose(
            file -> writeRooms(job, rooms, 0, file, bytes, new HashSet<>()).eventually(file::close))
        .compose(written -> jobs.finish(job.id(), true, bytes.get(), Times.now(clock)))
        .onFailure(
            e -> {
              LOG.warn("export {} failed: {}", job.id(), e.toString());
              vertx.fileSystem().delete(path.toString());
              jobs.finish(job.id(), false, 0, Times.now(clock));
            });
  }

  private Future<Void> writeRooms(
      ExportJob job,
      List<UUID> rooms,
      int index,
      AsyncFile file,
      AtomicLong bytes,
      Set<String> written) {
    if (index == rooms.size()) {
      return Future.succeededFuture();
    }
    NdjsonFormat format = new NdjsonFormat(fhir);
    return records
        .room(rooms.get(index))
        .compose(
            room ->
                room == null
                    ? Future.<Void>succeededFuture()
                    : roomRecord.write(
                        room,
                        FhirRefs.forNdjson(publicUrl),
                        format,
                        chunk -> {
                          bytes.addAndGet(chunk.length());
                          return chunk.length() == 0 ? Future.succeededFuture() : file.write(chunk);
                        },
                        written))
        .compose(done -> jobs.progress(job.id(), index + 1, bytes.get(), Times.now(clock)))
        .compose(done -> writeRooms(job, rooms, index + 1, file, bytes, written));
  }

  /** The organisation's folder, made private, without its earlier exports. Blocking. */
  private Void prepare(Path path) {
    try {
      PrivateFiles.folder(folder);
      Path own = PrivateFiles.folder(path.getParent());
      try (var earlier = Files.list(own)) {
        for (Path file : earlier.toList()) {
          Files.deleteIfExists(file);
        }
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare the export folder " + folder, e);
    }
  }
}
