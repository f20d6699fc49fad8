package org.konsil.client.e2e;

import org.signal.libsignal.protocol.IdentityKey;

/**
 * A partner device has an identity key other than the one this client trusted for it: the client
 * neither encrypts to it nor decrypts from it until the user accepts the new key with {@link
 * SignalSessions#trust} after comparing safety numbers. An {@link
 * org.konsil.client.event.IdentityKeyChanged} event says the same.
 */
public final class IdentityKeyChangedException extends RuntimeException {

  private final DeviceAddress device;
  private final IdentityKey previousKey;
  private final IdentityKey newKey;

  public IdentityKeyChangedException(
      DeviceAddress device, IdentityKey previousKey, IdentityKey newKey) {
    super(
        "The identity key of device "
            + device
            + " changed; compare safety numbers before trusting the new one");
    this.device = device;
    this.previousKey = previousKey;
    this.newKey = newKey;
  }

  public DeviceAddress device() {
    return device;
  }

  public IdentityKey previousKey() {
    return previousKey;
  }

  public IdentityKey newKey() {
    return newKey;
  }
}
