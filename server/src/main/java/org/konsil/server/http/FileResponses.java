package org.konsil.server.http;

import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;

/** Sends a stored document as the response, streamed from disk. */
public final class FileResponses {

  private FileResponses() {}

  /**
   * @param disposition {@code inline} to show in the browser, {@code attachment} to save
   */
  public static void send(
      RoutingContext ctx, Path path, String mediaType, String disposition, String fileName) {
    String safeName =
        fileName == null ? "document" : fileName.replaceAll("[\\p{Cntrl}\"\\\\]", "_");
    ctx.response()
        .putHeader("Content-Type", mediaType)
        .putHeader("Content-Disposition", disposition + "; filename=\"" + safeName + "\"")
        .sendFile(path.toString())
        .onFailure(ctx::fail);
  }
}
