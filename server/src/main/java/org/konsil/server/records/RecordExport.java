package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.function.Function;

/**
 * An export that was allowed and audited and is ready to be written: its media type, a file name
 * for the download, and the writing itself, chunk by chunk, each chunk waiting for the one before
 * it to be taken.
 */
public interface RecordExport {

  String mediaType();

  String fileName();

  /** Writes the export; the output answers when the receiver is ready for the next chunk. */
  Future<Void> writeTo(Function<Buffer, Future<Void>> out);
}
