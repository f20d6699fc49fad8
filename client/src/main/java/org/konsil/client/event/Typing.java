package org.konsil.client.event;

import java.util.UUID;

/** Another user is typing in a room; there is no "stopped" event, let it expire after a while. */
public record Typing(UUID room, UUID userId, String displayName) implements ClientEvent {}
