package org.konsil.client.e2e;

import java.util.UUID;
import org.signal.libsignal.protocol.SignalProtocolAddress;

/** One device of a user: the user's id and the device id the server gave it (1 to 127). */
public record DeviceAddress(UUID userId, int deviceId) {

  public SignalProtocolAddress signal() {
    return new SignalProtocolAddress(userId.toString(), deviceId);
  }

  @Override
  public String toString() {
    return userId + "." + deviceId;
  }
}
