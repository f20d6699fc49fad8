package org.konsil.fax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.LocalDate;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.plugins.tiff.BaselineTIFFTagSet;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.stream.ImageInputStream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;

class LetterRendererTest {

  static final InvitationLetter LETTER =
      new InvitationLetter(
          "Hausarztpraxis am Markt",
          "Pflegeheim Lindenhof",
          "https://konsil.example.org/register",
          "K7QX-4MZP-9TAB",
          LocalDate.of(2026, 12, 22),
          "de");

  @Test
  void pdfCarriesInviterAddressCodeAndExpiryButNoPatientData() throws Exception {
    byte[] pdf = new LetterRenderer().pdf(LETTER);
    try (PDDocument document = Loader.loadPDF(pdf)) {
      String text = new PDFTextStripper().getText(document);
      assertTrue(text.contains("Hausarztpraxis am Markt"));
      assertTrue(text.contains("Pflegeheim Lindenhof"));
      assertTrue(text.contains("https://konsil.example.org/register"));
      assertTrue(text.contains("K7QX-4MZP-9TAB"));
      assertTrue(text.contains("22.12.2026"));
      assertTrue(text.contains("keine Patientendaten"));
      assertEquals(1, document.getNumberOfPages());
    }
    String english =
        new PDFTextStripper()
            .getText(
                Loader.loadPDF(
                    new LetterRenderer()
                        .pdf(
                            new InvitationLetter(
                                "A", "B", "https://x", "CODE", LocalDate.of(2026, 1, 2), "en"))));
    assertTrue(english.contains("Invitation to Konsil"));
    assertFalse(english.contains("Einladung"));
  }

  @Test
  void namesInOtherScriptsAndVeryLongNamesStillRender() throws Exception {
    InvitationLetter odd =
        new InvitationLetter(
            "Praxis Łódź \uD83D\uDE00 Ковалёв",
            "Pflegeheim " + "Sonnenschein ".repeat(20),
            "https://konsil.example.org/register",
            "CODE",
            LocalDate.of(2026, 12, 22),
            "de");
    String text = new PDFTextStripper().getText(Loader.loadPDF(new LetterRenderer().pdf(odd)));
    assertTrue(text.contains("Praxis ?"), text);
    assertTrue(text.contains("CODE"));
  }

  @Test
  void tiffIsClassFAt1728PixelsFineResolutionWithT4Compression() throws Exception {
    LetterRenderer renderer = new LetterRenderer();
    byte[] tiff = renderer.tiff(renderer.pdf(LETTER));
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(tiff))) {
      ImageReader reader = ImageIO.getImageReadersByFormatName("tiff").next();
      reader.setInput(in);
      BufferedImage page = reader.read(0);
      assertEquals(1728, page.getWidth());
      assertEquals(Math.round(297 / 25.4 * 196), page.getHeight(), 2);
      assertEquals(1, page.getColorModel().getPixelSize(), "bilevel");
      IIOMetadata metadata = reader.getImageMetadata(0);
      TIFFDirectory directory = TIFFDirectory.createFromMetadata(metadata);
      assertEquals(
          BaselineTIFFTagSet.COMPRESSION_CCITT_T_4,
          directory.getTIFFField(BaselineTIFFTagSet.TAG_COMPRESSION).getAsInt(0));
      assertEquals(
          204, directory.getTIFFField(BaselineTIFFTagSet.TAG_X_RESOLUTION).getAsRational(0)[0]);
      assertEquals(
          196, directory.getTIFFField(BaselineTIFFTagSet.TAG_Y_RESOLUTION).getAsRational(0)[0]);
      long black = 0;
      for (int y = 0; y < page.getHeight(); y += 2) {
        for (int x = 0; x < page.getWidth(); x += 2) {
          if ((page.getRGB(x, y) & 0xffffff) == 0) {
            black++;
          }
        }
      }
      assertTrue(black > 500, "the text is on the page: " + black);
    }
  }
}
