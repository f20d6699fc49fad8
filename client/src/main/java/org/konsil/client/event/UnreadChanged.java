package org.konsil.client.event;

import java.util.UUID;

/** The user's read marker of a room moved (on this or another of the user's connections). */
public record UnreadChanged(UUID room, long readSeq, long unread) implements ClientEvent {}
