package org.konsil.server.records;

import ca.uhn.fhir.context.FhirContext;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.hl7.fhir.r4.model.Resource;

/** FHIR NDJSON: one resource per line, as the FHIR bulk data format has it; no head, no tail. */
final class NdjsonFormat implements RecordFormat {

  static final String MEDIA_TYPE = "application/fhir+ndjson";

  private final FhirContext fhir;

  NdjsonFormat(FhirContext fhir) {
    this.fhir = fhir;
  }

  @Override
  public Buffer head() {
    return Buffer.buffer();
  }

  @Override
  public Buffer entries(List<? extends Resource> resources) {
    var parser = fhir.newJsonParser().setPrettyPrint(false);
    Buffer chunk = Buffer.buffer();
    for (Resource resource : resources) {
      chunk.appendString(parser.encodeResourceToString(resource)).appendString("\n");
    }
    return chunk;
  }

  @Override
  public Buffer tail() {
    return Buffer.buffer();
  }
}
