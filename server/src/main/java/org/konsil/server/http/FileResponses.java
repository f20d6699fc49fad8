package org.konsil.server.http;

import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Sends a stored document as the response, streamed from disk. */
public final class FileResponses {

  private FileResponses() {}

  /**
   * @param disposition {@code inline} to show in the browser, {@code attachment} to save
   */
  public static void send(
      RoutingContext ctx, Path path, String mediaType, String disposition, String fileName) {
    ctx.response()
        .putHeader("Content-Type", mediaType)
        .putHeader("Content-Disposition", contentDisposition(disposition, fileName))
        .sendFile(path.toString())
        .onFailure(ctx::fail);
  }

  /**
   * The header value with an ASCII {@code filename} for old clients and the exact name as RFC 5987
   * {@code filename*} (UTF-8, percent-encoded), which every current browser prefers. Header values
   * travel as ISO-8859-1, so anything else in them would arrive as '?'.
   */
  public static String contentDisposition(String disposition, String fileName) {
    String name = fileName == null || fileName.isBlank() ? "document" : fileName;
    StringBuilder ascii = new StringBuilder();
    name.codePoints()
        .forEach(
            c ->
                ascii.append(
                    c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%' ? '_' : (char) c));
    StringBuilder encoded = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      // RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" /
      // "`" / "|" / "~"
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "!#$&+-.^_`|~".indexOf(c) >= 0) {
        encoded.append((char) c);
      } else {
        encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        encoded.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return disposition + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
  }
}
