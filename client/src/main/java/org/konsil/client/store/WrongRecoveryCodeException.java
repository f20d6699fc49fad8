package org.konsil.client.store;

/**
 * The recovery code does not open the backup (a typing error, or the code of an older backup that a
 * newer one replaced). Nothing was read or changed.
 */
public final class WrongRecoveryCodeException extends LocalStoreException {

  public WrongRecoveryCodeException(String message) {
    super(message);
  }
}
