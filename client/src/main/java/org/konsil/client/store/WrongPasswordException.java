package org.konsil.client.store;

/**
 * The password does not open the local protocol store: the key derived from it does not unwrap the
 * store's data key. Nothing was read or changed.
 */
public final class WrongPasswordException extends LocalStoreException {

  public WrongPasswordException(String message) {
    super(message);
  }
}
