package org.konsil.client.event;

import java.time.Instant;
import java.util.UUID;

/**
 * The patient of a room revoked their consent: show the room's earlier messages masked and drop
 * what the client holds of the patient's identity; the room takes no new messages.
 */
public record RoomRevoked(UUID room, Instant at) implements ClientEvent {}
