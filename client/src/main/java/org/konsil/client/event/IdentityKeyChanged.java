package org.konsil.client.event;

import java.util.UUID;

/**
 * A partner's device came with an identity key other than the one this client knew for it. In
 * Konsil a device's identity key never changes (a new key is a new device), so this means that
 * someone, possibly the server, substitutes the device. The client refuses to encrypt to it and to
 * decrypt from it until the user has compared safety numbers and accepted the new key.
 */
public record IdentityKeyChanged(UUID userId, int deviceId, byte[] previousKey, byte[] newKey)
    implements ClientEvent {}
