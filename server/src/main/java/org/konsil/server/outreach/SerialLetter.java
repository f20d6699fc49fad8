package org.konsil.server.outreach;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.konsil.server.pdf.PdfText;

/**
 * The letters of a campaign as one PDF to print (Serienbrief): one A4 page per letter, laid out for
 * a window envelope after DIN 5008 form B (address field 20 mm from the left and 45 mm from the
 * top, 85 x 45 mm, the return address in its top zone), fold marks at 105 and 210 mm and the punch
 * mark at 148.5 mm. Blocking: call it off the event loop.
 */
final class SerialLetter {

  /** One letter: the address lines, the subject (or null) and the text. */
  record Letter(String address, String subject, String text) {}

  private static final float MM = 72f / 25.4f;
  private static final float PAGE_HEIGHT = PDRectangle.A4.getHeight();
  private static final PDType1Font REGULAR = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
  private static final PDType1Font BOLD = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);

  private SerialLetter() {}

  static byte[] render(CampaignStore.Practice practice, List<Letter> letters, String language) {
    try (PDDocument document = new PDDocument();
        ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      for (Letter letter : letters) {
        PDPage page = new PDPage(PDRectangle.A4);
        document.addPage(page);
        try (PDPageContentStream content = new PDPageContentStream(document, page)) {
          page(content, practice, letter, language);
        }
      }
      document.save(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void page(
      PDPageContentStream content, CampaignStore.Practice practice, Letter letter, String language)
      throws IOException {
    // letterhead
    text(content, BOLD, 13, 25 * MM, fromTop(20 * MM), practice.name());
    if (practice.phone() != null) {
      text(
          content,
          REGULAR,
          9,
          125 * MM,
          fromTop(50 * MM),
          ("en".equals(language) ? "Phone " : "Telefon ") + practice.phone());
    }
    // return address, in the top zone of the address field (form B: 45 mm + 5 mm)
    String sender =
        String.join(
            " \u00b7 ",
            nonNull(
                practice.name(), practice.street(), join(practice.postalCode(), practice.city())));
    text(content, REGULAR, 7, 20 * MM, fromTop(49 * MM), fit(sender, REGULAR, 7, 85 * MM));
    // the recipient's address: the address zone starts 17.7 mm into the field
    float y = fromTop((45 + 17.7f) * MM) - 10;
    for (String line : letter.address().split("\n")) {
      text(content, REGULAR, 10, 20 * MM, y, fit(line, REGULAR, 10, 85 * MM));
      y -= 12;
    }
    // fold and punch marks at the left edge
    mark(content, 105 * MM, 4 * MM);
    mark(content, 210 * MM, 4 * MM);
    mark(content, 148.5f * MM, 6 * MM);
    // subject and text from 103.4 mm, 25 mm from the left to 20 mm from the right
    float left = 25 * MM;
    float width = PDRectangle.A4.getWidth() - left - 20 * MM;
    y = fromTop(103.4f * MM);
    if (letter.subject() != null) {
      text(content, BOLD, 10.5f, left, y, fit(letter.subject(), BOLD, 10.5f, width));
      y -= 24;
    }
    float bottom = 20 * MM;
    float size = 10.5f;
    List<String> lines = wrapAll(letter.text(), size, width);
    while (lines.size() * size * 1.3f > y - bottom && size > 8) {
      size -= 0.5f;
      lines = wrapAll(letter.text(), size, width);
    }
    for (String line : lines) {
      if (y - size * 1.3f < bottom) {
        break; // one page per letter; the template's limits keep the text on it
      }
      y -= size * 1.3f;
      text(content, REGULAR, size, left, y, line);
    }
  }

  private static List<String> wrapAll(String text, float size, float width) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String paragraph : printable(text).split("\n", -1)) {
      lines.addAll(wrap(paragraph, size, width));
    }
    return lines;
  }

  private static List<String> wrap(String paragraph, float size, float width) throws IOException {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : paragraph.split(" ")) {
      String candidate = line.length() == 0 ? word : line + " " + word;
      if (line.length() > 0 && REGULAR.getStringWidth(candidate) / 1000 * size > width) {
        lines.add(line.toString());
        line = new StringBuilder(word);
      } else {
        line = new StringBuilder(candidate);
      }
    }
    lines.add(fit(line.toString(), REGULAR, size, width));
    return lines;
  }

  private static void text(
      PDPageContentStream content, PDType1Font font, float size, float x, float y, String text)
      throws IOException {
    content.beginText();
    content.setFont(font, size);
    content.newLineAtOffset(x, y);
    content.showText(printable(text));
    content.endText();
  }

  private static void mark(PDPageContentStream content, float fromTop, float length)
      throws IOException {
    content.setLineWidth(0.3f);
    content.moveTo(3 * MM, fromTop(fromTop));
    content.lineTo(3 * MM + length, fromTop(fromTop));
    content.stroke();
  }

  private static float fromTop(float distance) {
    return PAGE_HEIGHT - distance;
  }

  private static String fit(String text, PDType1Font font, float size, float width) {
    String s = printable(text);
    try {
      while (s.length() > 1 && font.getStringWidth(s) / 1000 * size > width) {
        s = s.substring(0, s.length() - 1);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s;
  }

  /** Replaces what the standard fonts cannot show (as the other PDFs do). */
  private static String printable(String text) {
    return PdfText.printable(text, REGULAR);
  }

  private static String join(String a, String b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a + " " + b;
  }

  private static String[] nonNull(String... parts) {
    return java.util.Arrays.stream(parts)
        .filter(p -> p != null && !p.isBlank())
        .toArray(String[]::new);
  }
}
