package org.konsil.client.event;

import java.time.Instant;
import java.util.UUID;
import org.konsil.client.encrypted.EncryptedFile;

/**
 * A message of an end-to-end encrypted room, decrypted by this device: delivered once and in
 * sequence order per room like {@link RoomMessage} (which it replaces for encrypted rooms), and
 * kept in the local message store. Either {@code text} or {@code file} (or both: a file with a
 * caption); {@code file} names the encrypted attachment with its key, to be opened with {@code
 * KonsilClient.encryptedRooms().download(file)}. {@code ownMessage} when this device sent it.
 */
public record EncryptedMessage(
    UUID room,
    long seq,
    UUID id,
    Instant sentAt,
    UUID clientMsgId,
    UUID senderId,
    String senderName,
    UUID senderOrganisationId,
    String senderOrganisationName,
    int senderDevice,
    String text,
    EncryptedFile file,
    boolean ownMessage)
    implements ClientEvent {}
