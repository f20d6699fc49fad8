package org.konsil.client.store;

/**
 * The local protocol store cannot be used: its folder is missing rights or open in another process,
 * a file was altered, or it belongs to another user.
 */
public class LocalStoreException extends RuntimeException {

  public LocalStoreException(String message) {
    super(message);
  }

  public LocalStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
