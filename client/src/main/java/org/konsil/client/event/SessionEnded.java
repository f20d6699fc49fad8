package org.konsil.client.event;

/**
 * The login session is over (logout, an expired or reused refresh token, a new password, a disabled
 * account): the client does not reconnect; log in again. {@code code} is the server's problem or
 * error code, or {@code logout}.
 */
public record SessionEnded(String code) implements ClientEvent {}
