package org.konsil.client.event;

/**
 * This client's own device was removed (by the user on another device or an administrator): the
 * server closed the connection, and the client stopped; it does not reconnect, and sends waiting
 * for an acknowledgement fail. Register a new device (a new identity) to continue.
 */
public record ThisDeviceRemoved(int deviceId) implements ClientEvent {}
