package org.konsil.server.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The browser client's files (classpath {@code webroot/}) under names that carry a hash of their
 * content ({@code /js/app.3f9c2a1b7d0e.js}), cached by browsers for a year as immutable, and the
 * one HTML page, never cached, that names them. A new release changes the names of what changed, so
 * a second visit loads the page and nothing else. Module imports between the scripts are rewritten
 * to the hashed names, so a script's hash also covers everything it imports.
 */
public final class WebClientFiles {

  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  private static final Pattern IMPORT =
      Pattern.compile("((?:\\bfrom|\\bimport)\\s*\\(?\\s*)(['\"])(\\.{1,2}/[^'\"]+\\.js)\\2");
  private static final Pattern PAGE_REFERENCE = Pattern.compile("(href|src)=\"(/[^\"]+)\"");
  private static final Map<String, String> TYPES =
      Map.of(
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "html", "text/html; charset=utf-8");

  /** A file as served: its body and media type. */
  record Asset(Buffer body, String contentType) {}

  private final Map<String, Asset> hashed;
  private final Map<String, String> names;
  private final Buffer page;

  private WebClientFiles(Map<String, Asset> hashed, Map<String, String> names, Buffer page) {
    this.hashed = hashed;
    this.names = names;
    this.page = page;
  }

  /** Reads and names the files once, at start; fails the start if the client is not packaged. */
  public static WebClientFiles load() {
    Map<String, byte[]> files = read();
    if (!files.containsKey("/index.html")) {
      throw new IllegalStateException("webroot/index.html is not on the classpath");
    }
    Map<String, String> names = new HashMap<>();
    Map<String, byte[]> bodies = new HashMap<>();
    for (String path : files.keySet()) {
      if (!path.equals("/index.html")) {
        name(path, files, names, bodies, new ArrayList<>());
      }
    }
    Map<String, Asset> hashed = new HashMap<>();
    for (Map.Entry<String, String> entry : names.entrySet()) {
      hashed.put(
          entry.getValue(),
          new Asset(Buffer.buffer(bodies.get(entry.getKey())), type(entry.getKey())));
    }
    String html = new String(files.get("/index.html"), StandardCharsets.UTF_8);
    Matcher reference = PAGE_REFERENCE.matcher(html);
    String named =
        reference.replaceAll(
            match ->
                Matcher.quoteReplacement(
                    match.group(1)
                        + "=\""
                        + names.getOrDefault(match.group(2), match.group(2))
                        + "\""));
    return new WebClientFiles(hashed, names, Buffer.buffer(named, "UTF-8"));
  }

  /** The hashed name of a file of the client ("/js/main.js"), or null. */
  public String nameOf(String path) {
    return names.get(path);
  }

  /** Serves the page and the hashed files; everything else goes on to the next handler. */
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    Asset asset = hashed.get(path);
    if (asset != null) {
      ctx.response()
          .putHeader("Content-Type", asset.contentType())
          .putHeader("Cache-Control", IMMUTABLE)
          .end(asset.body());
      return;
    }
    if (path.equals("/index.html")) {
      // the page names the current files: always asked for anew
      ctx.response()
          .putHeader("Content-Type", TYPES.get("html"))
          .putHeader("Cache-Control", "no-store")
          .end(page);
      return;
    }
    ctx.next();
  }

  /**
   * Names a file by the hash of its content after its imports were named; a script's imports are
   * named first (a cycle of imports is refused at start: the names could not settle).
   */
  private static String name(
      String path,
      Map<String, byte[]> files,
      Map<String, String> names,
      Map<String, byte[]> bodies,
      List<String> importing) {
    String known = names.get(path);
    if (known != null) {
      return known;
    }
    if (importing.contains(path)) {
      throw new IllegalStateException("web client modules import each other: " + importing);
    }
    byte[] body = files.get(path);
    if (body == null) {
      throw new IllegalStateException("web client module not found: " + path);
    }
    if (path.endsWith(".js")) {
      importing.add(path);
      String source = new String(body, StandardCharsets.UTF_8);
      String folder = path.substring(0, path.lastIndexOf('/') + 1);
      String rewritten =
          IMPORT
              .matcher(source)
              .replaceAll(
                  match -> {
                    String target = URI.create(folder).resolve(match.group(3)).getPath();
                    return Matcher.quoteReplacement(
                        match.group(1)
                            + match.group(2)
                            + name(target, files, names, bodies, importing)
                            + match.group(2));
                  });
      importing.remove(path);
      body = rewritten.getBytes(StandardCharsets.UTF_8);
    }
    int dot = path.lastIndexOf('.');
    String name = path.substring(0, dot) + "." + hash(body) + path.substring(dot);
    names.put(path, name);
    bodies.put(path, body);
    return name;
  }

  private static String hash(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String type(String path) {
    return TYPES.getOrDefault(
        path.substring(path.lastIndexOf('.') + 1), "application/octet-stream");
  }

  /** Every file below webroot/, keyed by its path as the browser asks for it ("/js/app.js"). */
  private static Map<String, byte[]> read() {
    URL index = WebClientFiles.class.getClassLoader().getResource("webroot/index.html");
    if (index == null) {
      return Map.of();
    }
    try {
      URI uri = index.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
          return walk(jar.getPath("/webroot"));
        } catch (java.nio.file.FileSystemAlreadyExistsException e) {
          return walk(FileSystems.getFileSystem(uri).getPath("/webroot"));
        }
      }
      return walk(Path.of(uri).getParent());
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot read the web client's files", e);
    }
  }

  private static Map<String, byte[]> walk(Path root) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path file : paths.filter(Files::isRegularFile).toList()) {
        String relative = root.relativize(file).toString().replace('\\', '/');
        try (InputStream in = Files.newInputStream(file)) {
          files.put("/" + relative, in.readAllBytes());
        }
      }
    }
    return files;
  }
}
