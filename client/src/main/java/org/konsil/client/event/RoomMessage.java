package org.konsil.client.event;

import java.time.Instant;
import java.util.UUID;

/**
 * A stored message of a room, delivered once and in sequence order per room, whether it came live,
 * filled a gap or was replayed after a reconnect. {@code content} is null when {@code masked}
 * (after a revocation) and for kind {@code encrypted}; {@code senderId} and {@code clientMsgId} are
 * null for system notices; {@code senderDevice} (0 if none) and {@code envelope} belong to
 * encrypted messages, which a client with an open key store delivers decrypted as {@link
 * EncryptedMessage} instead.
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
    String senderOrganisationName,
    int senderDevice,
    Envelope envelope)
    implements ClientEvent {

  /**
   * The ciphertext of an end-to-end encrypted message for this connection's device (libsignal's
   * message type and bytes); null for other kinds, for a connection without a device, and for a
   * message without an envelope for the device.
   */
  public record Envelope(int type, byte[] ciphertext) {}
}
