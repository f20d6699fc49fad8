package org.konsil.client.encrypted;

import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.UUID;

/**
 * A file sent into an end-to-end encrypted room, as the encrypted message names it: the attachment
 * the server keeps (ciphertext only), the AES-256-GCM key that opens it, the SHA-256 of the
 * plaintext (lower-case hex), and what the file is. Only the room's devices learn these.
 */
public record EncryptedFile(
    UUID attachmentId, byte[] key, String sha256, String fileName, String mediaType, long size) {

  JsonObject toJson() {
    return new JsonObject()
        .put("attachmentId", attachmentId.toString())
        .put("key", Base64.getEncoder().encodeToString(key))
        .put("sha256", sha256)
        .put("fileName", fileName)
        .put("mediaType", mediaType)
        .put("size", size);
  }

  static EncryptedFile fromJson(JsonObject json) {
    byte[] key = Base64.getDecoder().decode(json.getString("key"));
    String sha256 = json.getString("sha256");
    if (key.length != 32 || sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a file key and digest");
    }
    return new EncryptedFile(
        UUID.fromString(json.getString("attachmentId")),
        key,
        sha256,
        json.getString("fileName"),
        json.getString("mediaType", "application/octet-stream"),
        json.getLong("size"));
  }
}
