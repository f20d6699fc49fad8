package org.konsil.client.event;

import java.util.UUID;

/**
 * After the patient's revocation, the client removed the plaintext of the room's messages from its
 * local message store ({@code messagesRemoved} of them). Not emitted for the client of the
 * patient's own organisation, which keeps the room's history for its documentation duty.
 */
public record RoomHistoryWiped(UUID room, int messagesRemoved) implements ClientEvent {}
