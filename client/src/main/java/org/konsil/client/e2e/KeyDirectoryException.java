package org.konsil.client.e2e;

/**
 * The key directory answered something libsignal refuses (a key that does not parse, a signature
 * that does not verify with the device's identity key): no session is built with it.
 */
public final class KeyDirectoryException extends RuntimeException {

  public KeyDirectoryException(String message, Throwable cause) {
    super(message, cause);
  }
}
