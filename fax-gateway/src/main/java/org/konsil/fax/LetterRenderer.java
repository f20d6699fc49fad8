package org.konsil.fax;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.plugins.tiff.BaselineTIFFTagSet;
import javax.imageio.plugins.tiff.TIFFDirectory;
import javax.imageio.plugins.tiff.TIFFField;
import javax.imageio.plugins.tiff.TIFFTag;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.rendering.ImageType;
import org.apache.pdfbox.rendering.PDFRenderer;

/**
 * Renders an invitation letter as a one-page PDF and the same page as TIFF class F: 1728 pixels
 * wide, fine resolution (204 x 196 dpi), bilevel, CCITT T.4 compressed. Blocking.
 */
public final class LetterRenderer {

  /** The width of a fax line in pixels (ITU-T T.4, A4). */
  public static final int FAX_WIDTH = 1728;

  private static final float MARGIN = 64;
  private static final PDType1Font REGULAR = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
  private static final PDType1Font BOLD = new PDType1Font(Standard14Fonts.FontName.HELVETICA_BOLD);

  public byte[] pdf(InvitationLetter letter) {
    boolean de = letter.german();
    DateTimeFormatter date = DateTimeFormatter.ofPattern(de ? "dd.MM.yyyy" : "yyyy-MM-dd");
    List<Line> lines = new ArrayList<>();
    lines.add(new Line(BOLD, 18, de ? "Einladung zu Konsil" : "Invitation to Konsil", 18));
    boolean first = true;
    for (String text : wrap((de ? "An: " : "To: ") + letter.recipientOrganisation(), 90)) {
      lines.add(new Line(REGULAR, 11, text, first ? 14 : 2));
      first = false;
    }
    for (String text :
        wrap(
            de
                ? letter.invitingOrganisation()
                    + " möchte sich mit Ihnen über Konsil abstimmen, den sicheren Messenger für"
                    + " Praxen, Kliniken, Pflegedienste und Pflegeheime. Die Anmeldung ist"
                    + " kostenlos."
                : letter.invitingOrganisation()
                    + " would like to coordinate with you through Konsil, the secure messenger for"
                    + " practices, clinics, care services and care homes. Registering is free.",
            90)) {
      lines.add(new Line(REGULAR, 11, text, 2));
    }
    lines.add(new Line(REGULAR, 11, de ? "So melden Sie sich an:" : "How to register:", 14));
    lines.add(
        new Line(
            REGULAR, 11, "1. " + (de ? "Öffnen Sie " : "Open ") + letter.registrationUrl(), 4));
    lines.add(
        new Line(
            REGULAR, 11, "2. " + (de ? "Geben Sie diesen Code ein:" : "Enter this code:"), 10));
    lines.add(new Line(BOLD, 22, letter.code(), 14));
    lines.add(
        new Line(
            REGULAR,
            11,
            (de ? "Der Code gilt einmal und bis zum " : "The code works once and until ")
                + date.format(letter.expiresOn())
                + ".",
            14));
    lines.add(
        new Line(
            REGULAR,
            9,
            de
                ? "Dieses Schreiben enthält keine Patientendaten. Nachrichten lesen Sie nach der"
                    + " Anmeldung in Konsil."
                : "This letter contains no patient data. You read messages in Konsil once you"
                    + " have registered.",
            20));
    try (PDDocument document = new PDDocument();
        ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      PDPage page = new PDPage(PDRectangle.A4);
      document.addPage(page);
      float y = PDRectangle.A4.getHeight() - MARGIN;
      try (PDPageContentStream content = new PDPageContentStream(document, page)) {
        for (Line line : lines) {
          y -= line.before() + line.size();
          content.beginText();
          content.setFont(line.font(), line.size());
          content.newLineAtOffset(MARGIN, y);
          content.showText(printable(line.text(), line.font()));
          content.endText();
        }
      }
      document.save(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The PDF's pages as a multi-page TIFF class F file. */
  public byte[] tiff(byte[] pdf) {
    try (PDDocument document = Loader.loadPDF(pdf);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // in memory: ImageIO's default would cache the letter, code and all, in a temporary file
        ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      ImageWriter writer = ImageIO.getImageWritersByFormatName("tiff").next();
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionType("CCITT T.4");
      writer.prepareWriteSequence(null);
      PDFRenderer renderer = new PDFRenderer(document);
      for (int i = 0; i < document.getNumberOfPages(); i++) {
        BufferedImage page = faxPage(renderer, document.getPage(i), i);
        IIOMetadata metadata = writer.getDefaultImageMetadata(new ImageTypeSpecifier(page), param);
        writer.writeToSequence(new IIOImage(page, null, withFineResolution(metadata)), param);
      }
      writer.endWriteSequence();
      writer.dispose();
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Renders a page at 204 x 196 dpi onto 1728 pixels, black and white. */
  private static BufferedImage faxPage(PDFRenderer renderer, PDPage page, int index)
      throws IOException {
    float widthInches = page.getMediaBox().getWidth() / 72f;
    float heightInches = page.getMediaBox().getHeight() / 72f;
    float dpiX = FAX_WIDTH / widthInches;
    BufferedImage grey = renderer.renderImageWithDPI(index, dpiX, ImageType.GRAY);
    int height = Math.round(heightInches * 196);
    BufferedImage fax = new BufferedImage(FAX_WIDTH, height, BufferedImage.TYPE_BYTE_BINARY);
    Graphics2D g = fax.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(grey, 0, 0, FAX_WIDTH, height, null);
    g.dispose();
    return fax;
  }

  private static IIOMetadata withFineResolution(IIOMetadata metadata) throws IOException {
    TIFFDirectory directory = TIFFDirectory.createFromMetadata(metadata);
    BaselineTIFFTagSet tags = BaselineTIFFTagSet.getInstance();
    directory.addTIFFField(rational(tags.getTag(BaselineTIFFTagSet.TAG_X_RESOLUTION), 204));
    directory.addTIFFField(rational(tags.getTag(BaselineTIFFTagSet.TAG_Y_RESOLUTION), 196));
    directory.addTIFFField(
        new TIFFField(
            tags.getTag(BaselineTIFFTagSet.TAG_RESOLUTION_UNIT),
            BaselineTIFFTagSet.RESOLUTION_UNIT_INCH));
    return directory.getAsMetadata();
  }

  private static TIFFField rational(TIFFTag tag, long value) {
    return new TIFFField(tag, TIFFTag.TIFF_RATIONAL, 1, new long[][] {{value, 1}});
  }

  /** What the standard fonts cannot show (other scripts, emoji, control characters) becomes '?'. */
  static String printable(String text, PDType1Font font) {
    StringBuilder out = new StringBuilder();
    text.codePoints()
        .forEach(
            cp -> {
              String s = new String(Character.toChars(cp));
              if (Character.isISOControl(cp)) {
                out.append(' ');
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

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() + word.length() + 1 > width && line.length() > 0) {
        lines.add(line.toString());
        line = new StringBuilder();
      }
      line.append(line.length() == 0 ? "" : " ").append(word);
    }
    lines.add(line.toString());
    return lines;
  }

  private record Line(PDType1Font font, float size, String text, float before) {}
}
