package org.konsil.client.event;

import java.util.UUID;

/** The user's organisation became a member of a room; its messages after {@code lastSeq} follow. */
public record RoomJoined(UUID room, String kind, String title, long lastSeq)
    implements ClientEvent {}
