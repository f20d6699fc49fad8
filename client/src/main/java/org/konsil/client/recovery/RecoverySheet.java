package org.konsil.client.recovery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.konsil.client.store.RecoveryCode;

/**
 * The recovery sheet: one A4 page with the recovery code, the user and the server, and a short
 * German and English text on what it is for. Meant to be printed and kept locked away.
 */
public final class RecoverySheet {

  private static final PDType1Font REGULAR = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
  private static final PDType1Font BOLD = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);
  private static final PDType1Font MONO = new PDType1Font(Standard14Fonts.FontName.COURIER_BOLD);

  private RecoverySheet() {}

  /** The sheet as PDF bytes. */
  public static byte[] pdf(RecoveryCode code, String user, String server, LocalDate made) {
    try (PDDocument document = new PDDocument()) {
      PDPage page = new PDPage(PDRectangle.A4);
      document.addPage(page);
      try (PDPageContentStream out = new PDPageContentStream(document, page)) {
        float y = 780;
        y = line(out, BOLD, 18, y, "Konsil – Wiederherstellungsschlüssel / Recovery key");
        y -= 10;
        y = line(out, REGULAR, 11, y, "Benutzer / User: " + user);
        y = line(out, REGULAR, 11, y, "Server: " + server);
        y = line(out, REGULAR, 11, y, "Erstellt / Made: " + made);
        y -= 18;
        y = line(out, MONO, 20, y, code.grouped());
        y -= 18;
        for (String text :
            List.of(
                "Mit diesem Schlüssel stellen Sie auf einem neuen Gerät Ihre verschlüsselten"
                    + " Nachrichten wieder her. Ohne ihn sind sie nach einem Passwort-Reset oder"
                    + " dem Verlust des Geräts nicht mehr lesbar; auch der Betreiber kann sie nicht"
                    + " wiederherstellen. Bewahren Sie dieses Blatt verschlossen auf und geben Sie"
                    + " es niemandem.",
                "",
                "With this key you restore your encrypted messages on a new device. Without it"
                    + " they cannot be read after a password reset or the loss of the device; the"
                    + " operator cannot recover them either. Keep this sheet locked away and give"
                    + " it to no one.")) {
          for (String wrapped : wrap(text, REGULAR, 11, 495)) {
            y = line(out, REGULAR, 11, y, wrapped);
          }
        }
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      document.save(bytes);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("The recovery sheet could not be made", e);
    }
  }

  private static float line(
      PDPageContentStream out, PDType1Font font, float size, float y, String text)
      throws IOException {
    if (!text.isEmpty()) {
      out.beginText();
      out.setFont(font, size);
      out.newLineAtOffset(50, y);
      out.showText(text);
      out.endText();
    }
    return y - size * 1.45f;
  }

  private static List<String> wrap(String text, PDType1Font font, float size, float width)
      throws IOException {
    List<String> lines = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String word : text.split(" ")) {
      String candidate = current.isEmpty() ? word : current + " " + word;
      if (font.getStringWidth(candidate) / 1000 * size > width && !current.isEmpty()) {
        lines.add(current.toString());
        current = new StringBuilder(word);
      } else {
        current = new StringBuilder(candidate);
      }
    }
    lines.add(current.toString());
    return lines;
  }
}
