package org.konsil.client.event;

import java.time.Instant;
import java.util.UUID;

/**
 * A stored message of a room, delivered once and in sequence order per room, whether it came live,
 * filled a gap or was replayed after a reconnect. {@code content} is null when {@code masked}
 * (after a revocation); {@code senderId} and {@code clientMsgId} are null for system notices.
 */
public record RoomMessage(
    UUID room,
    long seq,
    UUID id,
    String kind,
    String content,
    boolean masked,
    Instant sentAt,
    UUID clientMsgId,
    UUID senderId,
    String senderName,
    UUID senderOrganisationId,
    String senderOrganisationName)
    implements ClientEvent {}
