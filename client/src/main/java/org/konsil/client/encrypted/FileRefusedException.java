package org.konsil.client.encrypted;

import java.util.UUID;

/**
 * A downloaded encrypted file was refused: its ciphertext was altered or is not the one the message
 * named, or its plaintext does not have the digest or size the message named. Nothing of it is
 * handed out.
 */
public final class FileRefusedException extends RuntimeException {

  private final UUID attachmentId;

  public FileRefusedException(UUID attachmentId, String reason) {
    super("The file " + attachmentId + " was refused: " + reason);
    this.attachmentId = attachmentId;
  }

  public UUID attachmentId() {
    return attachmentId;
  }
}
