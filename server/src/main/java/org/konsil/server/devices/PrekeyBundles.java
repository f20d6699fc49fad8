package org.konsil.server.devices;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/** A user's prekey bundles, one per active device, as one fetch handed them out. */
record PrekeyBundles(UUID userId, List<PrekeyBundle> devices) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("userId", userId.toString())
        .put("devices", new JsonArray(devices.stream().map(PrekeyBundle::toJson).toList()));
  }
}
