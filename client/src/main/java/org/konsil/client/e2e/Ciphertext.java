package org.konsil.client.e2e;

import org.signal.libsignal.protocol.message.CiphertextMessage;

/**
 * A payload encrypted for one device: libsignal's message type ({@link #PREKEY}, the first messages
 * of a session, which carry what the recipient needs to build it; {@link #WHISPER} afterwards) and
 * its serialized bytes. Both travel to the recipient device as they are.
 */
public record Ciphertext(DeviceAddress recipient, int type, byte[] body) {

  public static final int PREKEY = CiphertextMessage.PREKEY_TYPE;
  public static final int WHISPER = CiphertextMessage.WHISPER_TYPE;
}
