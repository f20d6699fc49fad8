package org.konsil.client.event;

/**
 * Something the client tells its integrator: a message, a change of the connection, of a room, of
 * the user's devices or of a partner's identity key. Delivered in order, one at a time, on the
 * client's Vert.x context; a listener must not block.
 */
public sealed interface ClientEvent
    permits ConnectionReady,
        ConnectionLost,
        SessionEnded,
        RoomMessage,
        RoomJoined,
        RoomRevoked,
        UnreadChanged,
        Typing,
        DeviceAdded,
        DeviceRemoved,
        PrekeysLow,
        PrekeysReplenished,
        SignedPrekeyRotated,
        IdentityKeyChanged,
        EncryptedMessage,
        UndecryptableMessage,
        RoomHistoryWiped,
        ThisDeviceRemoved,
        RoomDevicesChanged {}
