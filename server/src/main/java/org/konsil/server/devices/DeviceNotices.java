package org.konsil.server.devices;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells who must know that a user's devices changed: the user's own connections ({@code
 * device_added}, {@code device_removed}) and the connected members of the user's encrypted rooms
 * ({@code devices_changed}), whose next message must address the new device or leave out the
 * removed one. A connection that speaks for a removed device ends.
 */
final class DeviceNotices {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceNotices.class);

  /** The organisations that share an encrypted room with the organisation (itself included). */
  private static final String ENCRYPTED_ROOM_PARTNERS =
      """
      SELECT DISTINCT other.organisation_id
        FROM room_members mine
        JOIN rooms r ON r.id = mine.room_id AND r.encrypted
        JOIN room_members other ON other.room_id = r.id
       WHERE mine.organisation_id = #{org}""";

  private final SqlClient pool;
  private final LiveEvents live;

  DeviceNotices(SqlClient pool, LiveEvents live) {
    this.pool = pool;
    this.live = live;
  }

  void added(AuthenticatedUser user, Device device) {
    live.toUser(
        user.userId(),
        new JsonObject().put("type", "device_added").put("device", device.toJson()).encode());
    toRoomMembers(user, device.deviceId(), "added");
  }

  void removed(AuthenticatedUser user, int deviceId) {
    live.deviceRemoved(user.userId(), deviceId);
    live.toUser(
        user.userId(),
        new JsonObject().put("type", "device_removed").put("deviceId", deviceId).encode());
    toRoomMembers(user, deviceId, "removed");
  }

  /** After the change committed; a failed lookup is logged, the change stands. */
  private void toRoomMembers(AuthenticatedUser user, int deviceId, String change) {
    String frame =
        new JsonObject()
            .put("type", "devices_changed")
            .put("userId", user.userId().toString())
            .put("deviceId", deviceId)
            .put("change", change)
            .encode();
    partners(user.organisationId())
        .onSuccess(organisations -> live.toOrganisationsExcept(organisations, user.userId(), frame))
        .onFailure(
            failure ->
                LOG.warn(
                    "could not tell the rooms of user {} about device {}: {}",
                    user.userId(),
                    deviceId,
                    failure.toString()));
  }

  private Future<List<UUID>> partners(UUID organisation) {
    return SqlTemplate.forQuery(pool, ENCRYPTED_ROOM_PARTNERS)
        .execute(Map.of("org", organisation))
        .map(
            rows -> {
              List<UUID> found = new java.util.ArrayList<>();
              rows.forEach(row -> found.add(row.getUUID("organisation_id")));
              return found;
            });
  }
}
