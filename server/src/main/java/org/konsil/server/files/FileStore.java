package org.konsil.server.files;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.konsil.server.http.ApiException;

/**
 * Documents on disk under the data folder ({@code files/<id>}, 0600 in 0700 folders), streamed in
 * without holding them in memory. A document is checked from its bytes (signature, then a parse)
 * and its size while it arrives; whatever is refused or cut off leaves nothing behind.
 */
public final class FileStore {

  private static final String INSERT =
      """
      INSERT INTO stored_files (id, media_type, size_bytes, sha256, file_name, created_by,
        created_at)
      VALUES (#{id}, #{type}, #{size}, #{sha}, #{name}, #{by}, #{now})""";

  private final Vertx vertx;
  private final Path folder;
  private final OpenOptions newFile;

  public FileStore(Vertx vertx, Path folder) {
    this.vertx = vertx;
    this.folder = folder;
    this.newFile = new OpenOptions().setCreateNew(true).setWrite(true);
    if (PrivateFiles.posix(folder)) {
      newFile.setPerms("rw-------");
    }
    try {
      PrivateFiles.folder(folder);
      PrivateFiles.folder(folder.resolve("incoming"));
      // What a crash left half-written is of no use to anyone.
      try (var leftovers = Files.list(folder.resolve("incoming"))) {
        for (Path leftover : leftovers.toList()) {
          Files.deleteIfExists(leftover);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the file store in " + folder, e);
    }
  }

  /** Writes the document's catalogue row in the caller's transaction. */
  public Future<Void> record(SqlClient tx, StoredFile file, UUID by, OffsetDateTime now) {
    Map<String, Object> p = new HashMap<>();
    p.put("id", file.id());
    p.put("type", file.type().mime());
    p.put("size", file.size());
    p.put("sha", Buffer.buffer(file.sha256()));
    p.put("name", file.fileName());
    p.put("by", by);
    p.put("now", now);
    // bound to the caller's transaction, so built per call: a template cannot change its client
    return SqlTemplate.forUpdate(tx, INSERT).execute(p).mapEmpty();
  }

  public Path path(UUID id) {
    return folder.resolve(id.toString());
  }

  /**
   * Streams the request body into the store. Refuses with {@code payload_too_large} beyond the
   * limit, {@code unsupported_file_type} for anything but the allowed types, {@code invalid_file}
   * for a known signature on a broken document, and {@code upload_incomplete} when the body is cut
   * off.
   */
  public Future<StoredFile> receive(
      HttpServerRequest request, Set<MediaType> allowed, long maxBytes, String fileName) {
    String declared = request.getHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared) > maxBytes) {
          return refuseEarly(request, tooLarge(maxBytes));
        }
      } catch (NumberFormatException e) {
        return refuseEarly(request, ApiException.validation("Content-Length is not a number."));
      }
    }
    if (request.isEnded()) {
      return Future.failedFuture(
          new ApiException(400, "upload_incomplete", "Send the file itself as the request body."));
    }
    UUID id = UUID.randomUUID();
    Path incoming = folder.resolve("incoming").resolve(id.toString());
    Promise<StoredFile> result = Promise.promise();
    request.pause();
    vertx
        .fileSystem()
        .open(incoming.toString(), newFile)
        .onFailure(result::fail)
        .onSuccess(file -> new Upload(request, file, incoming, allowed, maxBytes, result).start());
    return result
        .future()
        .compose(upload -> check(upload, incoming))
        .compose(type -> moveIntoPlace(incoming, id).map(moved -> type))
        .map(
            upload ->
                new StoredFile(
                    id, upload.type(), upload.size(), upload.sha256(), cleanName(fileName)))
        .onFailure(failure -> discard(incoming));
  }

  /** Stores a document held in memory, with the same checks as an upload. */
  public Future<StoredFile> receive(
      byte[] document, Set<MediaType> allowed, long maxBytes, String fileName) {
    UUID id = UUID.randomUUID();
    Path incoming = folder.resolve("incoming").resolve(id.toString());
    return vertx
        .executeBlocking(
            () -> {
              if (document.length == 0) {
                throw ApiException.validation("The file is empty.");
              }
              if (document.length > maxBytes) {
                throw tooLarge(maxBytes);
              }
              MediaType type = MediaType.sniff(document, Math.min(document.length, MediaType.HEAD));
              if (type == null || !allowed.contains(type)) {
                throw new ApiException(
                    415, "unsupported_file_type", "This kind of file is not accepted.");
              }
              PrivateFiles.write(incoming, document);
              return new StoredFile(
                  null,
                  type,
                  document.length,
                  MessageDigest.getInstance("SHA-256").digest(document),
                  null);
            })
        .compose(upload -> check(upload, incoming))
        .compose(upload -> moveIntoPlace(incoming, id).map(moved -> upload))
        .map(
            upload ->
                new StoredFile(
                    id, upload.type(), upload.size(), upload.sha256(), cleanName(fileName)))
        .onFailure(failure -> discard(incoming));
  }

  /**
   * Checks a document held in memory as an upload is checked (size, signature, a parse), without
   * writing it or anything decoded from it to disk: for documents that must reach the disk only
   * encrypted. Answers its type.
   */
  public Future<MediaType> checkInMemory(byte[] document, Set<MediaType> allowed, long maxBytes) {
    return vertx.executeBlocking(
        () -> {
          if (document.length == 0) {
            throw ApiException.validation("The file is empty.");
          }
          if (document.length > maxBytes) {
            throw tooLarge(maxBytes);
          }
          MediaType type = MediaType.sniff(document, Math.min(document.length, MediaType.HEAD));
          if (type == null || !allowed.contains(type)) {
            throw new ApiException(
                415,
                "unsupported_file_type",
                "Only these kinds of file are accepted: "
                    + allowed.stream().map(MediaType::mime).sorted().toList()
                    + ".");
          }
          if (!parsesInMemory(type, document)) {
            throw new ApiException(
                422,
                "invalid_file",
                "The file is not a readable " + type.extension() + " document.");
          }
          return type;
        });
  }

  private static boolean parsesInMemory(MediaType type, byte[] document) {
    try {
      switch (type) {
        case PDF -> {
          try (PDDocument pdf =
              Loader.loadPDF(document, "", null, null, IOUtils.createMemoryOnlyStreamCache())) {
            return pdf.getNumberOfPages() > 0;
          }
        }
        case PNG, JPEG -> {
          // a memory cache: ImageIO's default may cache the stream in a temporary file
          try (ImageInputStream in =
              new javax.imageio.stream.MemoryCacheImageInputStream(
                  new java.io.ByteArrayInputStream(document))) {
            var readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
              return false;
            }
            ImageReader reader = readers.next();
            try {
              reader.setInput(in);
              return reader.getWidth(0) > 0 && reader.getHeight(0) > 0;
            } finally {
              reader.dispose();
            }
          }
        }
        case DICOM -> {
          return document.length > 132 + 12;
        }
        default -> {
          return false;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Removes a stored document whose database record was not written. */
  public Future<Void> discard(UUID id) {
    return discard(path(id));
  }

  private Future<Void> discard(Path path) {
    return vertx.executeBlocking(
        () -> {
          Files.deleteIfExists(path);
          return null;
        });
  }

  private Future<StoredFile> refuseEarly(HttpServerRequest request, ApiException refusal) {
    // the client may still be sending; the answer goes out and the connection is closed
    request.response().putHeader("Connection", "close");
    return Future.failedFuture(refusal);
  }

  private Future<Void> moveIntoPlace(Path incoming, UUID id) {
    return vertx.executeBlocking(
        () -> {
          Files.move(incoming, path(id), StandardCopyOption.ATOMIC_MOVE);
          return null;
        });
  }

  /** Parses the document, off the event loop, so that a signature on garbage is refused. */
  private Future<StoredFile> check(StoredFile upload, Path incoming) {
    return vertx.executeBlocking(
        () -> {
          if (!parses(upload.type(), incoming)) {
            throw new ApiException(
                422,
                "invalid_file",
                "The file is not a readable " + upload.type().extension() + " document.");
          }
          return upload;
        });
  }

  private static boolean parses(MediaType type, Path file) {
    try {
      switch (type) {
        case PDF -> {
          // Streams are cached in temporary files, not on the heap: a small PDF can expand a lot.
          try (PDDocument document =
              Loader.loadPDF(
                  file.toFile(), "", null, null, IOUtils.createTempFileOnlyStreamCache())) {
            return document.getNumberOfPages() > 0;
          }
        }
        case PNG, JPEG -> {
          try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            var readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
              return false;
            }
            ImageReader reader = readers.next();
            try {
              reader.setInput(in);
              return reader.getWidth(0) > 0 && reader.getHeight(0) > 0;
            } finally {
              reader.dispose();
            }
          }
        }
        case CIPHERTEXT -> {
          // nothing to check: the server cannot read it
          return true;
        }
        case DICOM -> {
          // The preamble and "DICM" were checked on arrival; a DICOM file carries at least its
          // file meta group after them.
          return Files.size(file) > 132 + 12;
        }
        default -> {
          return false;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static ApiException tooLarge(long maxBytes) {
    return new ApiException(
        413, "payload_too_large", "A file may have at most " + maxBytes + " bytes.");
  }

  private static String cleanName(String name) {
    if (name == null || name.isBlank()) {
      return null;
    }
    String base = name.replace('\\', '/');
    base = base.substring(base.lastIndexOf('/') + 1).replaceAll("[\\p{Cntrl}\"]", "");
    return base.length() > 200 ? base.substring(0, 200) : base;
  }

  /** One body being written to disk, with the checks that run while it arrives. */
  private static final class Upload {
    private final HttpServerRequest request;
    private final AsyncFile file;
    private final Path path;
    private final Set<MediaType> allowed;
    private final long maxBytes;
    private final Promise<StoredFile> result;
    private final MessageDigest digest;
    private final byte[] head = new byte[MediaType.HEAD];
    private int headLength;
    private long size;
    private boolean failed;

    Upload(
        HttpServerRequest request,
        AsyncFile file,
        Path path,
        Set<MediaType> allowed,
        long maxBytes,
        Promise<StoredFile> result) {
      this.request = request;
      this.file = file;
      this.path = path;
      this.allowed = allowed;
      this.maxBytes = maxBytes;
      this.result = result;
      try {
        this.digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    void start() {
      request.handler(this::chunk);
      request.exceptionHandler(
          e -> fail(new ApiException(400, "upload_incomplete", "The upload was cut off.")));
      request.endHandler(v -> end());
      file.drainHandler(v -> request.resume());
      request.resume();
    }

    private void chunk(Buffer chunk) {
      if (failed) {
        return;
      }
      size += chunk.length();
      if (size > maxBytes) {
        request.response().putHeader("Connection", "close");
        fail(tooLarge(maxBytes));
        return;
      }
      if (headLength < head.length) {
        int take = Math.min(head.length - headLength, chunk.length());
        chunk.getBytes(0, take, head, headLength);
        headLength += take;
      }
      digest.update(chunk.getBytes());
      file.write(chunk);
      if (file.writeQueueFull()) {
        request.pause();
      }
    }

    private void end() {
      if (failed) {
        return;
      }
      file.close()
          .onComplete(
              closed -> {
                if (closed.failed()) {
                  fail(closed.cause());
                  return;
                }
                MediaType type =
                    allowed.contains(MediaType.CIPHERTEXT)
                        ? MediaType.CIPHERTEXT
                        : MediaType.sniff(head, headLength);
                if (size == 0) {
                  result.tryFail(ApiException.validation("The file is empty."));
                } else if (type == null || !allowed.contains(type)) {
                  result.tryFail(
                      new ApiException(
                          415,
                          "unsupported_file_type",
                          "Only these kinds of file are accepted: "
                              + allowed.stream().map(MediaType::mime).sorted().toList()
                              + "."));
                } else {
                  result.tryComplete(new StoredFile(null, type, size, digest.digest(), null));
                }
              });
    }

    private void fail(Throwable failure) {
      if (failed) {
        return;
      }
      failed = true;
      file.close();
      result.tryFail(failure);
    }
  }
}
