package org.konsil.server.records;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.hl7.fhir.r4.model.Resource;

/**
 * How resources become bytes in an export that is written piece by piece: a head, entries in
 * chunks, a tail. Called off the event loop, one call at a time, in order.
 */
interface RecordFormat {

  Buffer head();

  Buffer entries(List<? extends Resource> resources);

  Buffer tail();
}
