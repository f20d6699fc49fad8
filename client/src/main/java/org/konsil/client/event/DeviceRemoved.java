package org.konsil.client.event;

/** The user removed one of their devices. */
public record DeviceRemoved(int deviceId) implements ClientEvent {}
