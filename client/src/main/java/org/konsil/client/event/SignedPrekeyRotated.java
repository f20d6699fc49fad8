package org.konsil.client.event;

/** This client replaced its device's signed EC prekey and its Kyber last-resort prekey. */
public record SignedPrekeyRotated(int deviceId, int signedPreKeyId, int pqLastResortPreKeyId)
    implements ClientEvent {}
