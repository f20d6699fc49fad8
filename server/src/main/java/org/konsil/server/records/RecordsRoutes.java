package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.FileResponses;
import org.konsil.server.http.Json;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientRoutes;
import org.konsil.server.rooms.RoomRoutes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** REST routes for the FHIR exports of rooms, streamed to the caller as they are made. */
public final class RecordsRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(RecordsRoutes.class);

  private final RecordsService records;

  public RecordsRoutes(RecordsService records) {
    this.records = records;
  }

  public void mount(Router router) {
    router
        .get("/rooms/:roomId/fhir")
        .handler(
            ctx ->
                records
                    .roomBundle(AuthenticatedUser.of(ctx), RoomRoutes.roomId(ctx))
                    .onSuccess(export -> stream(ctx, export))
                    .onFailure(ctx::fail));
    router
        .post("/patients/:patientId/erasure")
        .respond(
            ctx ->
                records
                    .erasure()
                    .erase(AuthenticatedUser.of(ctx), PatientRoutes.patientId(ctx))
                    .map(Erasure::toJson));
    router
        .get("/patients/:patientId/data-export")
        .handler(
            ctx ->
                records
                    .dataExport()
                    .make(AuthenticatedUser.of(ctx), PatientRoutes.patientId(ctx))
                    .onSuccess(archive -> sendAndDelete(ctx, archive))
                    .onFailure(ctx::fail));
    RetentionService retention = records.retention();
    router
        .get("/organisation/retention")
        .respond(ctx -> retention.settings(AuthenticatedUser.of(ctx)).map(Retention::toJson));
    router
        .put("/organisation/retention")
        .respond(
            ctx -> {
              Json body = Json.body(ctx);
              Retention wanted =
                  new Retention(
                      (int)
                          body.requiredLong(
                              "patientRoomYears", Retention.PATIENT_MIN, Retention.PATIENT_MAX),
                      (int)
                          body.requiredLong(
                              "generalRoomYears", Retention.GENERAL_MIN, Retention.GENERAL_MAX));
              return retention.change(AuthenticatedUser.of(ctx), wanted).map(Retention::toJson);
            });
    router.put("/patients/:patientId/legal-hold").respond(ctx -> hold(ctx, retention, true));
    router.delete("/patients/:patientId/legal-hold").respond(ctx -> hold(ctx, retention, false));
    BulkExports bulk = records.bulk();
    router
        .post("/fhir-exports")
        .respond(
            ctx ->
                bulk.start(AuthenticatedUser.of(ctx))
                    .map(
                        job -> {
                          ctx.response().setStatusCode(202);
                          return job.toJson();
                        }));
    router
        .get("/fhir-exports/:exportId")
        .respond(
            ctx -> bulk.status(AuthenticatedUser.of(ctx), exportId(ctx)).map(ExportJob::toJson));
    router
        .get("/fhir-exports/:exportId/ndjson")
        .handler(
            ctx ->
                bulk.download(AuthenticatedUser.of(ctx), exportId(ctx))
                    .onSuccess(
                        file ->
                            FileResponses.send(
                                ctx,
                                file.path(),
                                NdjsonFormat.MEDIA_TYPE,
                                "attachment",
                                file.fileName()))
                    .onFailure(ctx::fail));
  }

  private static Future<JsonObject> hold(
      RoutingContext ctx, RetentionService retention, boolean held) {
    UUID patient = PatientRoutes.patientId(ctx);
    return retention
        .hold(AuthenticatedUser.of(ctx), patient, held)
        .map(now -> new JsonObject().put("patientId", patient.toString()).put("legalHold", now));
  }

  /** Sends the archive; it is deleted once sent or once sending failed. */
  private static void sendAndDelete(RoutingContext ctx, PatientDataExport.Archive archive) {
    ctx.response()
        .putHeader("Content-Type", "application/zip")
        .putHeader(
            "Content-Disposition",
            FileResponses.contentDisposition("attachment", archive.fileName()))
        .sendFile(archive.path().toString())
        .onComplete(
            sent -> {
              ctx.vertx().fileSystem().delete(archive.path().toString());
              if (sent.failed()) {
                LOG.warn(
                    "data export {} not sent: {}", archive.fileName(), sent.cause().toString());
              }
            });
  }

  /** The export id of the path; a malformed one names no export. */
  private static UUID exportId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("exportId"));
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound("There is no export with this id.");
    }
  }

  /**
   * Sends the export chunk by chunk, each after the one before was written to the connection. A
   * failure after the first byte cannot become a problem answer any more: the connection is reset,
   * so the client sees a broken download instead of a short file that looks whole.
   */
  static void stream(RoutingContext ctx, RecordExport export) {
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader("Content-Type", export.mediaType())
        .putHeader("Content-Disposition", "attachment; filename=\"" + export.fileName() + "\"");
    export
        .writeTo(chunk -> chunk.length() == 0 ? Future.succeededFuture() : write(response, chunk))
        .compose(done -> response.end())
        .onFailure(
            e -> {
              LOG.warn("export {} stopped: {}", export.fileName(), e.toString());
              response.reset();
            });
  }

  /** Writes a chunk; while the connection's queue is full, answers only once it drained. */
  private static Future<Void> write(HttpServerResponse response, Buffer chunk) {
    Future<Void> written = response.write(chunk);
    if (!response.writeQueueFull()) {
      return written;
    }
    Promise<Void> drained = Promise.promise();
    response.drainHandler(v -> drained.tryComplete());
    response.closeHandler(v -> drained.tryFail("the client closed the connection"));
    return written.compose(done -> drained.future());
  }
}
