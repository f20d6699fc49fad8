package org.konsil.server.testkit;

import io.vertx.core.buffer.Buffer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;

/** Real documents (and convincing fakes) for upload tests, made in memory. */
public final class Documents {

  private Documents() {}

  public static Buffer pdf() {
    try (PDDocument document = new PDDocument();
        ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      document.addPage(new PDPage());
      document.save(out);
      return Buffer.buffer(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Buffer png() {
    return image("png");
  }

  public static Buffer jpeg() {
    return image("jpg");
  }

  /** A DICOM file: the 128-byte preamble, "DICM", and a file meta element. */
  public static Buffer dicom() {
    Buffer buffer = Buffer.buffer(new byte[128]).appendString("DICM");
    buffer.appendBytes(
        new byte[] {0x02, 0x00, 0x00, 0x00, 'U', 'L', 0x04, 0x00, 0x20, 0x00, 0x00, 0x00});
    for (int i = 0; i < 64; i++) {
      buffer.appendByte((byte) i);
    }
    return buffer;
  }

  /** A PDF signature on bytes that are no PDF. */
  public static Buffer pdfHeaderOnGarbage() {
    Buffer buffer = Buffer.buffer("%PDF-1.7\n");
    for (int i = 0; i < 2000; i++) {
      buffer.appendByte((byte) (i * 31));
    }
    return buffer;
  }

  /** The start of a Linux executable, as if renamed to consent.pdf. */
  public static Buffer executable() {
    Buffer buffer = Buffer.buffer(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    for (int i = 0; i < 1000; i++) {
      buffer.appendByte((byte) i);
    }
    return buffer;
  }

  private static Buffer image(String format) {
    BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    image.setRGB(3, 3, 0xff0000);
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      ImageIO.write(image, format, out);
      return Buffer.buffer(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
