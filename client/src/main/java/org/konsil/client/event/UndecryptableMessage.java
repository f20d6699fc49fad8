package org.konsil.client.event;

import java.time.Instant;
import java.util.UUID;

/**
 * A message of an end-to-end encrypted room that this device cannot read, in its place in the
 * room's sequence: the following messages are delivered as usual. {@code reason}: {@code INVALID}
 * (altered or not a Signal message), {@code DUPLICATE} (a replay), {@code NO_SESSION}, {@code
 * UNKNOWN_PREKEY}, {@code IDENTITY_CHANGED} (the sender device's identity key is not the one this
 * client pinned; see {@link IdentityKeyChanged}), {@code NO_ENVELOPE} (the server holds no envelope
 * for this device: a message from before the device existed, or a message this device sent in an
 * earlier run that the local store does not hold), or {@code MALFORMED} (it decrypted, but its
 * content is not a Konsil message).
 */
public record UndecryptableMessage(
    UUID room,
    long seq,
    UUID id,
    Instant sentAt,
    UUID senderId,
    String senderName,
    int senderDevice,
    String reason,
    String detail)
    implements ClientEvent {}
