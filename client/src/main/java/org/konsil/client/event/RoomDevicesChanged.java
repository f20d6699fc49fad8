package org.konsil.client.event;

import java.util.List;
import java.util.UUID;
import org.konsil.client.e2e.DeviceAddress;

/**
 * The server refused a send into an encrypted room because the room's devices changed: the client
 * built sessions with the {@code added} devices, left out the {@code removed} ones and sent again
 * with the same clientMsgId. A new device of a partner can be checked with its safety number.
 */
public record RoomDevicesChanged(UUID room, List<DeviceAddress> added, List<DeviceAddress> removed)
    implements ClientEvent {}
