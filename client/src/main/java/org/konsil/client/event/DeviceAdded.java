package org.konsil.client.event;

/**
 * The user registered a device (this one or another), with its identity key as libsignal has it.
 */
public record DeviceAdded(int deviceId, byte[] identityKey) implements ClientEvent {}
