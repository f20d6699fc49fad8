package org.konsil.server.files;

import java.util.Arrays;

/**
 * The kinds of document Konsil stores, recognised from their first bytes, never from a name; and
 * ciphertext, which has no kind the server could see.
 */
public enum MediaType {
  PDF("application/pdf", "pdf"),
  PNG("image/png", "png"),
  JPEG("image/jpeg", "jpg"),
  DICOM("application/dicom", "dcm"),
  /**
   * A file its sender encrypted before the upload (end-to-end encrypted rooms): bytes nobody on the
   * server can recognise or read, so never sniffed and never parsed.
   */
  CIPHERTEXT("application/octet-stream", "bin");

  /** How many leading bytes {@link #sniff} needs. */
  static final int HEAD = 132;

  private final String mime;
  private final String extension;

  MediaType(String mime, String extension) {
    this.mime = mime;
    this.extension = extension;
  }

  public String mime() {
    return mime;
  }

  public String extension() {
    return extension;
  }

  public static MediaType fromMime(String mime) {
    for (MediaType type : values()) {
      if (type.mime.equals(mime)) {
        return type;
      }
    }
    return null;
  }

  /** The type whose signature the bytes start with, or null. */
  static MediaType sniff(byte[] head, int length) {
    if (startsWith(head, length, "%PDF-".getBytes())) {
      return PDF;
    }
    if (startsWith(head, length, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a})) {
      return PNG;
    }
    if (startsWith(head, length, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff})) {
      return JPEG;
    }
    if (length >= 132 && Arrays.equals(Arrays.copyOfRange(head, 128, 132), "DICM".getBytes())) {
      return DICOM;
    }
    return null;
  }

  private static boolean startsWith(byte[] head, int length, byte[] signature) {
    if (length < signature.length) {
      return false;
    }
    for (int i = 0; i < signature.length; i++) {
      if (head[i] != signature[i]) {
        return false;
      }
    }
    return true;
  }
}
