package org.konsil.client.event;

/**
 * The key directory holds few one-time prekeys of a device of the user. For this client's own
 * device the client uploads a new batch by itself ({@link PrekeysReplenished} follows).
 */
public record PrekeysLow(int deviceId, int preKeys, int pqPreKeys) implements ClientEvent {}
