package org.konsil.client.live;

import java.time.Instant;
import java.util.UUID;

/**
 * The server stored a sent message (committed) with this sequence number. {@code duplicate} when it
 * had been stored before (a resend after a lost acknowledgement, or the same {@code clientMsgId}
 * again): the first acknowledgement repeated, nothing stored twice.
 */
public record Ack(
    UUID room, long seq, UUID id, UUID clientMsgId, Instant sentAt, boolean duplicate) {}
