package org.konsil.server.mailbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * The transcript a mailbox message's signature covers (docs/patient-mailbox.md), and the check the
 * server makes before it stores a message: a message that its sender's key did not sign is refused
 * rather than stored as one that no reader can verify.
 */
final class MailboxSignatures {

  private MailboxSignatures() {}

  static byte[] transcript(
      UUID mailboxId, UUID messageId, String direction, byte[] envelope, List<byte[]> attachments) {
    StringBuilder text =
        new StringBuilder("konsil-mailbox-v1 message\n")
            .append(mailboxId)
            .append('\n')
            .append(messageId)
            .append('\n')
            .append(direction)
            .append('\n')
            .append(sha256Hex(envelope));
    for (byte[] attachment : attachments) {
      text.append('\n').append(sha256Hex(attachment));
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  static boolean verify(byte[] ed25519Public, byte[] transcript, byte[] signature) {
    try {
      Ed25519Signer verifier = new Ed25519Signer();
      verifier.init(false, new Ed25519PublicKeyParameters(ed25519Public, 0));
      verifier.update(transcript, 0, transcript.length);
      return verifier.verifySignature(signature);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
