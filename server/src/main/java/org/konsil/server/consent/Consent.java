package org.konsil.server.consent;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.HexFormat;
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
    String revocationMediaType,
    List<UUID> organisations) {

  static final RowMapper<Consent> MAPPER =
      row -> {
        UUID[] organisations = row.getArrayOfUUIDs("organisations");
        return new Consent(
            row.getUUID("id"),
            row.getUUID("patient_id"),
            row.getInteger("version"),
            row.getString("status"),
            row.getUUID("file_id"),
            row.getString("media_type"),
            row.getLong("size_bytes"),
            HexFormat.of().formatHex(row.getBuffer("sha256").getBytes()),
            row.getUUID("uploaded_by"),
            row.getString("uploaded_by_name"),
            row.getOffsetDateTime("uploaded_at"),
            row.getOffsetDateTime("revoked_at"),
            row.getLocalDate("revocation_date"),
            row.getUUID("revocation_file_id"),
            row.getString("revocation_media_type"),
            organisations == null ? List.of() : List.of(organisations));
      };

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
