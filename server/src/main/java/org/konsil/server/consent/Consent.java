package org.konsil.server.consent;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.Times;

/** One version of a patient's signed consent and the partner organisations it covers. */
public record Consent(
    UUID id,
    UUID patientId,
    int version,
    String status,
    UUID fileId,
    String mediaType,
    long size,
    String sha256,
    UUID uploadedBy,
    String uploadedByName,
    OffsetDateTime uploadedAt,
    OffsetDateTime revokedAt,
    LocalDate revocationDate,
    UUID revocationFileId,
    List<UUID> organisations) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("patientId", patientId.toString())
        .put("version", version)
        .put("status", status)
        .put(
            "document",
            new JsonObject()
                .put("id", fileId.toString())
                .put("mediaType", mediaType)
                .put("size", size)
                .put("sha256", sha256))
        .put(
            "uploadedBy",
            new JsonObject().put("id", uploadedBy.toString()).put("displayName", uploadedByName))
        .put("uploadedAt", Times.iso(uploadedAt))
        .put("revokedAt", Times.iso(revokedAt))
        .put("revocationDate", revocationDate == null ? null : revocationDate.toString())
        .put("revocationDocumentId", revocationFileId == null ? null : revocationFileId.toString())
        .put("organisations", new JsonArray(organisations.stream().map(UUID::toString).toList()));
  }
}
