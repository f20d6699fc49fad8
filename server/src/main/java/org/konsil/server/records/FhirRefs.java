package org.konsil.server.records;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.konsil.server.files.MediaType;
import org.konsil.server.records.RecordRows.FileRow;

/**
 * How the resources of one export name each other and their files: inside a Bundle by {@code
 * urn:uuid:} (the entries' full URLs), in NDJSON by {@code Type/id}; files by the API route that
 * serves them, or by their path inside a data-protection archive.
 */
final class FhirRefs {

  /** The system of identifiers that are URIs, here {@code urn:uuid:} of Konsil's ids. */
  static final String URI_SYSTEM = "urn:ietf:rfc:3986";

  /** Konsil's own codes (message kinds, audit actions); not a published code system. */
  static final String KONSIL_CODES = "https://konsil.org/fhir/CodeSystem/";

  private final boolean bundle;
  private final String apiBase;
  private final boolean filesInArchive;

  private FhirRefs(boolean bundle, String publicUrl, boolean filesInArchive) {
    this.bundle = bundle;
    this.apiBase = publicUrl.replaceAll("/+$", "") + "/api/v1";
    this.filesInArchive = filesInArchive;
  }

  /** References for one Bundle; files by their download route. */
  static FhirRefs forBundle(String publicUrl) {
    return new FhirRefs(true, publicUrl, false);
  }

  /** References for NDJSON lines; files by their download route. */
  static FhirRefs forNdjson(String publicUrl) {
    return new FhirRefs(false, publicUrl, false);
  }

  /** References for the Bundle in a data-protection archive; files by their path in it. */
  static FhirRefs forArchive(String publicUrl) {
    return new FhirRefs(true, publicUrl, true);
  }

  Reference to(String type, UUID id) {
    return new Reference(bundle ? urn(id) : type + "/" + id);
  }

  /** A reference to something that is not in the export, by its Konsil id only. */
  static Reference logical(String type, UUID id) {
    return new Reference().setType(type).setIdentifier(identifier(id));
  }

  static Identifier identifier(UUID id) {
    return new Identifier().setSystem(URI_SYSTEM).setValue(urn(id));
  }

  static String urn(UUID id) {
    return "urn:uuid:" + id;
  }

  /** A stable id for what has no UUID of its own (a practitioner's role, an audit event). */
  static UUID derived(String kind, Object key) {
    return UUID.nameUUIDFromBytes(("konsil:" + kind + ":" + key).getBytes(StandardCharsets.UTF_8));
  }

  String attachmentUrl(UUID attachmentId, FileRow file) {
    return filesInArchive ? archivePath(file) : apiBase + "/attachments/" + attachmentId;
  }

  String consentDocumentUrl(UUID consentId, FileRow file) {
    return filesInArchive ? archivePath(file) : apiBase + "/consents/" + consentId + "/document";
  }

  String revocationDocumentUrl(UUID consentId, FileRow file) {
    return filesInArchive
        ? archivePath(file)
        : apiBase + "/consents/" + consentId + "/revocation-document";
  }

  /** Where a data-protection archive keeps a file: {@code files/<id>} plus its extension. */
  static String archivePath(FileRow file) {
    return "files/" + file.id() + extension(file.mediaType());
  }

  private static String extension(String mediaType) {
    MediaType type = MediaType.fromMime(mediaType);
    return type == null ? "" : "." + type.extension();
  }
}
