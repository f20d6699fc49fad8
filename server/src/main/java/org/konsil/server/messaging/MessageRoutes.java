package org.konsil.server.messaging;

import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.http.RouteTable;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.rooms.ReadMarker;
import org.konsil.server.rooms.Receipt;
import org.konsil.server.rooms.RoomRoutes;

/** REST routes for a room's history, sending without a socket, and the read marker. */
public final class MessageRoutes {

  private final MessagingService messaging;
  private final MessageHistory history;

  public MessageRoutes(MessagingService messaging, MessageHistory history) {
    this.messaging = messaging;
    this.history = history;
  }

  /** Adds this feature's routes to the API router (below /api/v1). */
  public void mount(Router router) {
    RouteTable.query(router.get("/rooms/:roomId/messages"), "after", "before", "limit", "device")
        .respond(this::history);
    router.post("/rooms/:roomId/messages").respond(this::send);
    router
        .get("/rooms/:roomId/devices")
        .respond(
            ctx ->
                messaging
                    .roomDevices(AuthenticatedUser.of(ctx), RoomRoutes.roomId(ctx))
                    .map(
                        devices ->
                            new io.vertx.core.json.JsonArray(
                                devices.stream().map(Envelope.Address::toJson).toList())));
    router.put("/rooms/:roomId/read").respond(this::read);
    router
        .get("/rooms/:roomId/receipts")
        .respond(
            ctx ->
                messaging
                    .receipts(AuthenticatedUser.of(ctx), RoomRoutes.roomId(ctx))
                    .map(
                        receipts ->
                            new io.vertx.core.json.JsonArray(
                                receipts.stream().map(Receipt::toJson).toList())));
    router
        .get("/rooms/:roomId/export")
        .handler(
            ctx ->
                history
                    .export(AuthenticatedUser.of(ctx), RoomRoutes.roomId(ctx))
                    .onSuccess(
                        pdf ->
                            ctx.response()
                                .putHeader("Content-Type", "application/pdf")
                                .putHeader(
                                    "Content-Disposition", "attachment; filename=\"verlauf.pdf\"")
                                .end(io.vertx.core.buffer.Buffer.buffer(pdf)))
                    .onFailure(ctx::fail));
  }

  private Future<?> history(RoutingContext ctx) {
    UUID room = RoomRoutes.roomId(ctx);
    Long after = longParam(ctx, "after");
    Long before = longParam(ctx, "before");
    Long limit = longParam(ctx, "limit");
    if (limit != null && (limit < 1 || limit > MessageHistory.MAX_PAGE)) {
      throw ApiException.validation(
          "'limit' must be between 1 and " + MessageHistory.MAX_PAGE + ".");
    }
    Long device = longParam(ctx, "device");
    if (device != null && (device < 1 || device > 127)) {
      throw ApiException.validation("'device' must be between 1 and 127.");
    }
    return history
        .page(
            AuthenticatedUser.of(ctx),
            room,
            after,
            before,
            limit == null ? 50 : limit.intValue(),
            device == null ? null : device.intValue())
        .map(HistoryPage::toJson);
  }

  private Future<?> send(RoutingContext ctx) {
    UUID room = RoomRoutes.roomId(ctx);
    Json body = Json.body(ctx);
    UUID clientMsgId = body.requiredUuid("clientMsgId");
    Future<Ack> sent;
    Object sealed = body.raw().getValue("envelopes");
    if (sealed != null) {
      if (body.raw().getValue("content") != null) {
        throw ApiException.validation("Send 'content' or 'envelopes', not both.");
      }
      int device = (int) body.requiredLong("device", 1, 127);
      sent =
          messaging.sendEncrypted(
              AuthenticatedUser.of(ctx), device, room, clientMsgId, Envelope.parse(sealed));
    } else {
      String content = body.requiredText("content", MessagingService.MAX_CONTENT_LENGTH);
      UUID replyTo = body.optionalUuid("replyTo");
      UUID corrects = body.optionalUuid("corrects");
      sent =
          messaging.send(AuthenticatedUser.of(ctx), room, clientMsgId, content, replyTo, corrects);
    }
    return sent.map(
        ack -> {
          ctx.response().setStatusCode(ack.duplicate() ? 200 : 201);
          return ack.toJson();
        });
  }

  private Future<?> read(RoutingContext ctx) {
    UUID room = RoomRoutes.roomId(ctx);
    long seq = Json.body(ctx).requiredLong("seq", 0, Long.MAX_VALUE);
    return messaging.markRead(AuthenticatedUser.of(ctx), room, seq).map(ReadMarker::toJson);
  }

  private static Long longParam(RoutingContext ctx, String name) {
    String raw = ctx.queryParams().get(name);
    if (raw == null) {
      return null;
    }
    try {
      long value = Long.parseLong(raw);
      if (value < 0) {
        throw ApiException.validation("'" + name + "' must not be negative.");
      }
      return value;
    } catch (NumberFormatException e) {
      throw ApiException.validation("'" + name + "' must be a whole number.");
    }
  }
}
