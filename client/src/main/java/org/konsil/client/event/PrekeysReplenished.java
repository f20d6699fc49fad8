package org.konsil.client.event;

/** This client uploaded a new batch of one-time prekeys; the directory now holds this many. */
public record PrekeysReplenished(int deviceId, long preKeys, long pqPreKeys)
    implements ClientEvent {}
