package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.consent.ConsentService;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.MediaType;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.FileResponses;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.rooms.RoomRoutes;
import org.konsil.server.rooms.RoomService;

/**
 * REST routes for attachments: the file itself is the request body (findings, vital-sign exports
 * and X-ray images as PDF, PNG or JPEG, and DICOM files), streamed to the file store.
 */
public final class AttachmentRoutes {

  private static final Set<MediaType> TYPES =
      Set.of(MediaType.PDF, MediaType.PNG, MediaType.JPEG, MediaType.DICOM);

  private static final Set<MediaType> CIPHERTEXT = Set.of(MediaType.CIPHERTEXT);

  private final AttachmentService attachments;
  private final RoomService rooms;
  private final FileStore files;
  private final long maxBytes;

  public AttachmentRoutes(
      AttachmentService attachments, RoomService rooms, FileStore files, long maxBytes) {
    this.attachments = attachments;
    this.rooms = rooms;
    this.files = files;
    this.maxBytes = maxBytes;
  }

  public void mount(Router router) {
    RouteTable.query(router.post("/rooms/:roomId/attachments"), "clientMsgId", "fileName")
        .respond(this::upload);
    router.post("/rooms/:roomId/encrypted-attachments").respond(this::uploadCiphertext);
    router.get("/attachments/:attachmentId").handler(this::download);
  }

  private Future<?> upload(RoutingContext ctx) {
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    UUID room = RoomRoutes.roomId(ctx);
    UUID clientMsgId = Json.uuid("clientMsgId", ctx.queryParams().get("clientMsgId"));
    String fileName = ctx.queryParams().get("fileName");
    if (fileName != null && fileName.length() > 200) {
      throw ApiException.validation("'fileName' must be at most 200 characters long.");
    }
    return rooms
        .requireMember(user, room)
        .compose(member -> files.receive(ctx.request(), TYPES, maxBytes, fileName))
        .compose(file -> attachments.send(user, room, clientMsgId, file))
        .map(
            ack -> {
              ctx.response().setStatusCode(ack.duplicate() ? 200 : 201);
              return ack.toJson();
            });
  }

  /**
   * A file encrypted by its sender, for an end-to-end encrypted room: stored as it came, never
   * sniffed or parsed (nobody on the server can), answered with its id, size and SHA-256.
   */
  private Future<?> uploadCiphertext(RoutingContext ctx) {
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    UUID room = RoomRoutes.roomId(ctx);
    return rooms
        .view(user, room)
        .compose(
            found -> {
              if (!found.encrypted()) {
                throw DeliveryRefusals.roomNotEncrypted();
              }
              if (found.consentRevokedAt() != null) {
                throw ConsentService.consentRevoked();
              }
              return files.receive(ctx.request(), CIPHERTEXT, maxBytes, null);
            })
        .compose(
            file ->
                attachments
                    .keepCiphertext(user, room, file)
                    .map(
                        id -> {
                          ctx.response().setStatusCode(201);
                          return new JsonObject()
                              .put("attachmentId", id.toString())
                              .put("size", file.size())
                              .put("sha256", file.sha256Hex());
                        }));
  }

  private void download(RoutingContext ctx) {
    UUID id;
    try {
      id = Json.uuid("attachmentId", ctx.pathParam("attachmentId"));
    } catch (ApiException e) {
      ctx.fail(ApiException.notFound("No such attachment."));
      return;
    }
    attachments
        .read(AuthenticatedUser.of(ctx), id)
        .onSuccess(
            access ->
                FileResponses.send(
                    ctx, access.path(), access.mediaType(), "attachment", access.fileName()))
        .onFailure(ctx::fail);
  }
}
