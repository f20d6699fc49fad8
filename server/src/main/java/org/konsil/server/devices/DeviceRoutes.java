package org.konsil.server.devices;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;
import org.konsil.server.identity.AuthenticatedUser;

/** REST routes of the caller's devices and of the key directory. */
public final class DeviceRoutes {

  private final DeviceService devices;
  private final KeyBackups backups;

  public DeviceRoutes(DeviceService devices, KeyBackups backups) {
    this.devices = devices;
    this.backups = backups;
  }

  /** Adds this feature's routes to the API router (below /api/v1). */
  public void mount(Router router) {
    router.post("/devices").respond(this::register);
    router
        .get("/devices")
        .respond(
            ctx ->
                devices
                    .list(AuthenticatedUser.of(ctx))
                    .map(
                        list -> {
                          JsonArray array = new JsonArray();
                          list.forEach(device -> array.add(device.toJson()));
                          return array;
                        }));
    router.delete("/devices/:deviceId").handler(this::remove);
    router
        .put("/devices/:deviceId/keys")
        .respond(
            ctx -> {
              AuthenticatedUser user = AuthenticatedUser.of(ctx);
              int deviceId = deviceId(ctx);
              KeyUpload keys = KeyUpload.from(Json.body(ctx));
              return devices.uploadKeys(user, deviceId, keys).map(Device::toJson);
            });
    router
        .put("/me/key-backup")
        .respond(ctx -> backups.put(AuthenticatedUser.of(ctx), Json.body(ctx)));
    router.get("/me/key-backup").respond(ctx -> backups.get(AuthenticatedUser.of(ctx)));
    router
        .delete("/me/key-backup")
        .handler(
            ctx ->
                backups
                    .delete(AuthenticatedUser.of(ctx))
                    .onSuccess(deleted -> ctx.response().setStatusCode(204).end())
                    .onFailure(ctx::fail));
    router
        .get("/users/:userId/prekey-bundles")
        .respond(
            ctx ->
                devices
                    .fetchBundles(AuthenticatedUser.of(ctx), userId(ctx))
                    .map(PrekeyBundles::toJson));
  }

  private Future<?> register(RoutingContext ctx) {
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    RegisterDeviceRequest request = RegisterDeviceRequest.from(Json.body(ctx));
    return devices
        .register(user, request)
        .map(
            registration -> {
              ctx.response().setStatusCode(registration.created() ? 201 : 200);
              return registration.device().toJson();
            });
  }

  private void remove(RoutingContext ctx) {
    AuthenticatedUser user = AuthenticatedUser.of(ctx);
    devices
        .remove(user, deviceId(ctx))
        .onSuccess(removed -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** The device id from the path; anything but a device id answers like an unknown device. */
  private static int deviceId(RoutingContext ctx) {
    String raw = ctx.pathParam("deviceId");
    if (raw != null && raw.matches("[1-9][0-9]{0,2}")) {
      int id = Integer.parseInt(raw);
      if (id <= 127) {
        return id;
      }
    }
    throw ApiException.notFound("No such device.");
  }

  /** The user id from the path, or null for a malformed one (answered like an unknown user). */
  private static UUID userId(RoutingContext ctx) {
    String raw = ctx.pathParam("userId");
    try {
      if (raw != null && raw.length() == 36) {
        return UUID.fromString(raw);
      }
    } catch (IllegalArgumentException e) {
      // answered like an unknown user, after counting the fetch
    }
    return null;
  }
}
