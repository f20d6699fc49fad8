package org.konsil.server.records;

import ca.uhn.fhir.context.FhirContext;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

/**
 * A FHIR R4 {@code Bundle} of type {@code collection}, written entry by entry so that a room of any
 * size never has to be held in memory; each entry's full URL is its resource's {@code urn:uuid:},
 * which the references inside the bundle use.
 */
final class BundleFormat implements RecordFormat {

  private final FhirContext fhir;
  private final UUID id;
  private final Instant timestamp;
  private volatile boolean first = true;

  BundleFormat(FhirContext fhir, UUID id, Instant timestamp) {
    this.fhir = fhir;
    this.id = id;
    this.timestamp = timestamp;
  }

  @Override
  public Buffer head() {
    Bundle bundle = new Bundle();
    bundle.setId(id.toString());
    bundle.setIdentifier(FhirRefs.identifier(id));
    bundle.setType(Bundle.BundleType.COLLECTION);
    bundle.setTimestamp(Date.from(timestamp));
    String json = fhir.newJsonParser().encodeResourceToString(bundle);
    // the entries follow as the bundle's last member
    return Buffer.buffer(json.substring(0, json.lastIndexOf('}')) + ",\"entry\":[");
  }

  @Override
  public Buffer entries(List<? extends Resource> resources) {
    var parser = fhir.newJsonParser();
    Buffer chunk = Buffer.buffer();
    for (Resource resource : resources) {
      if (!first) {
        chunk.appendString(",");
      }
      first = false;
      // every id is a UUID, so the URL needs no escaping
      String fullUrl = "urn:uuid:" + resource.getIdElement().getIdPart();
      chunk
          .appendString("{\"fullUrl\":")
          .appendString("\"" + fullUrl + "\"")
          .appendString(",\"resource\":")
          .appendString(parser.encodeResourceToString(resource))
          .appendString("}");
    }
    return chunk;
  }

  @Override
  public Buffer tail() {
    return Buffer.buffer("]}");
  }
}
