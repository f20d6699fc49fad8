package org.konsil.server.accounts;

import io.nayuki.qrcodegen.QrCode;

/**
 * Draws a QR code as a small SVG document, so the page can show the {@code otpauth://} URI of a
 * second-factor enrolment as an image that an authenticator app scans (no script library needed).
 */
public final class QrCodeSvg {

  /** The light margin around the code, in modules, that scanners need (the standard asks 4). */
  private static final int QUIET_ZONE = 4;

  private QrCodeSvg() {}

  /** The SVG of a QR code (error correction level M) holding the text. */
  public static String of(String text) {
    QrCode code = QrCode.encodeText(text, QrCode.Ecc.MEDIUM);
    int size = code.size + 2 * QUIET_ZONE;
    StringBuilder path = new StringBuilder();
    for (int y = 0; y < code.size; y++) {
      int x = 0;
      while (x < code.size) {
        if (!code.getModule(x, y)) {
          x++;
          continue;
        }
        int run = 1;
        while (x + run < code.size && code.getModule(x + run, y)) {
          run++;
        }
        // one rectangle per run of dark modules in a row keeps the document small
        path.append('M')
            .append(x + QUIET_ZONE)
            .append(',')
            .append(y + QUIET_ZONE)
            .append('h')
            .append(run)
            .append("v1h-")
            .append(run)
            .append('z');
        x += run;
      }
    }
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
        + size
        + " "
        + size
        + "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        + "<path fill=\"#000\" d=\""
        + path
        + "\"/></svg>";
  }
}
