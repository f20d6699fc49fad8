package org.konsil.client.event;

/**
 * The WebSocket closed or could not be opened; the client connects again by itself (after a growing
 * pause) unless it was stopped or the session ended. {@code closeCode} is -1 when there was no
 * close frame.
 */
public record ConnectionLost(int closeCode, String reason) implements ClientEvent {}
