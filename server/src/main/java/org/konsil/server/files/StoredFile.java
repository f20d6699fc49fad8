package org.konsil.server.files;

import io.vertx.core.json.JsonObject;
import java.util.HexFormat;
import java.util.UUID;

/** A document in the file store: what it is, how big, and its SHA-256. */
public record StoredFile(UUID id, MediaType type, long size, byte[] sha256, String fileName) {

  public String sha256Hex() {
    return HexFormat.of().formatHex(sha256);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("mediaType", type.mime())
        .put("size", size)
        .put("sha256", sha256Hex())
        .put("fileName", fileName);
  }
}
