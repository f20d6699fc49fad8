package org.konsil.client.e2e;

/**
 * A received ciphertext was refused; the session with the sender is as it was before, so the
 * following messages decrypt as usual.
 */
public final class UndecryptableMessageException extends RuntimeException {

  /** Why the ciphertext was refused. */
  public enum Reason {
    /** Altered, cut off, or not a Signal message: its authentication failed. */
    INVALID,
    /** Decrypted before (a replay), or its key was already used. */
    DUPLICATE,
    /** No session with the sender, and the message does not start one. */
    NO_SESSION,
    /** It names a prekey this device does not have (any more). */
    UNKNOWN_PREKEY
  }

  private final Reason reason;
  private final DeviceAddress sender;

  public UndecryptableMessageException(
      Reason reason, DeviceAddress sender, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.sender = sender;
  }

  public Reason reason() {
    return reason;
  }

  public DeviceAddress sender() {
    return sender;
  }
}
