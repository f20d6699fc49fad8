package org.konsil.server.pdf;

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

/**
 * Writes simple A4 text documents: headings, wrapped paragraphs and lines to sign on, flowing onto
 * new pages. The standard fonts cover German text (WinAnsi); other characters are replaced.
 * Blocking: use it off the event loop.
 */
public final class PdfText implements AutoCloseable {

  private static final float MARGIN = 56;
  private static final PDType1Font REGULAR = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
  private static final PDType1Font BOLD = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);

  private final PDDocument document = new PDDocument();
  private PDPageContentStream content;
  private float y;

  public PdfText() {
    newPage();
  }

  public PdfText heading(String text) {
    return write(text, BOLD, 15, 8);
  }

  public PdfText subheading(String text) {
    return write(text, BOLD, 11.5f, 4);
  }

  public PdfText paragraph(String text) {
    return write(text, REGULAR, 10.5f, 6);
  }

  public PdfText small(String text) {
    return write(text, REGULAR, 8.5f, 3);
  }

  public PdfText space(float points) {
    y -= points;
    return this;
  }

  /** A line to write on, with its label below it. */
  public PdfText signatureLine(String label) {
    ensure(44);
    y -= 30;
    try {
      content.moveTo(MARGIN, y);
      content.lineTo(MARGIN + 240, y);
      content.stroke();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    y -= 4;
    return write(label, REGULAR, 8.5f, 2);
  }

  public byte[] toBytes() {
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      content.close();
      document.save(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      document.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PdfText write(String text, PDType1Font font, float size, float after) {
    float width = PDRectangle.A4.getWidth() - 2 * MARGIN;
    for (String paragraph : printable(text, font).split("\n", -1)) {
      for (String line : wrap(paragraph, font, size, width)) {
        ensure(size * 1.35f);
        y -= size * 1.35f;
        try {
          content.beginText();
          content.setFont(font, size);
          content.newLineAtOffset(MARGIN, y);
          content.showText(line);
          content.endText();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    y -= after;
    return this;
  }

  private void ensure(float height) {
    if (y - height < MARGIN) {
      newPage();
    }
  }

  private void newPage() {
    try {
      if (content != null) {
        content.close();
      }
      PDPage page = new PDPage(PDRectangle.A4);
      document.addPage(page);
      content = new PDPageContentStream(document, page);
      y = PDRectangle.A4.getHeight() - MARGIN;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> wrap(String text, PDType1Font font, float size, float width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      String candidate = line.length() == 0 ? word : line + " " + word;
      if (line.length() > 0 && widthOf(candidate, font, size) > width) {
        lines.add(line.toString());
        line = new StringBuilder(word);
      } else {
        line = new StringBuilder(candidate);
      }
      while (widthOf(line.toString(), font, size) > width && line.length() > 1) {
        // a single word longer than the line: cut it
        int cut = line.length() - 1;
        while (cut > 1 && widthOf(line.substring(0, cut), font, size) > width) {
          cut--;
        }
        lines.add(line.substring(0, cut));
        line = new StringBuilder(line.substring(cut));
      }
    }
    lines.add(line.toString());
    return lines;
  }

  private static float widthOf(String text, PDType1Font font, float size) {
    try {
      return font.getStringWidth(text) / 1000 * size;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces what the standard fonts cannot show, and tabs and returns, so nothing fails. */
  public static String printable(String text, PDType1Font font) {
    StringBuilder out = new StringBuilder();
    text.replace("\r\n", "\n")
        .replace('\t', ' ')
        .replace('\r', '\n')
        .codePoints()
        .forEach(
            cp -> {
              String s = new String(Character.toChars(cp));
              if (cp == '\n') {
                out.append('\n');
                return;
              }
              try {
                font.encode(s);
                out.append(s);
              } catch (IOException | IllegalArgumentException e) {
                out.append('?');
              }
            });
    return out.toString();
  }
}
