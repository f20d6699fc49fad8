package org.konsil.client.event;

import java.util.Map;
import java.util.UUID;

/**
 * The WebSocket is authenticated (the server's {@code ready} frame) and follows these rooms, each
 * with its last sequence number at that moment. Missed messages follow as {@link RoomMessage}s.
 */
public record ConnectionReady(Map<UUID, Long> rooms) implements ClientEvent {}
