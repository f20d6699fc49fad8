package org.konsil.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every problem code that the API contracts name has a German and an English text in the client,
 * and every text key exists in both languages.
 */
class ProblemTextsTest {

  private static final Path WEBROOT = Path.of("src", "main", "resources", "webroot");
  private static final Path DOCS = Path.of("..", "docs");

  private static String read(Path path) throws IOException {
    return Files.readString(path, StandardCharsets.UTF_8);
  }

  /** The problem codes of docs/openapi.yaml and the error frame codes of docs/asyncapi.yaml. */
  static Set<String> documentedCodes() throws IOException {
    String openapi = read(DOCS.resolve("openapi.yaml"));
    String asyncapi = read(DOCS.resolve("asyncapi.yaml"));
    Set<String> codes = new TreeSet<>();
    collect(codes, Pattern.compile("\\bcode: ([a-z][a-z0-9_]+)"), openapi);
    collect(codes, Pattern.compile("`([a-z][a-z0-9_]+)` \\(\\d{3}\\)"), openapi);
    collect(codes, Pattern.compile("`\\d{3} ([a-z][a-z0-9_]+)`"), openapi);
    int errorCodes = asyncapi.indexOf("enum:\n            - frame_too_large");
    assertTrue(errorCodes > 0, "the error code enum of the AsyncAPI contract");
    collect(
        codes,
        Pattern.compile("\\n            - ([a-z_]+)"),
        asyncapi.substring(errorCodes, asyncapi.indexOf("detail:", errorCodes)));
    return codes;
  }

  private static void collect(Set<String> into, Pattern pattern, String text) {
    Matcher matcher = pattern.matcher(text);
    while (matcher.find()) {
      into.add(matcher.group(1));
    }
  }

  /** The keys of one language's block in a JavaScript object literal of i18n.js. */
  static Set<String> keys(String source, String block, String lang) {
    int start = source.indexOf("const " + block + " = {");
    int from = source.indexOf("\n  " + lang + ": {", start);
    int to = source.indexOf("\n  },", from);
    assertTrue(start >= 0 && from > start && to > from, block + "." + lang + " in i18n.js");
    Set<String> keys = new TreeSet<>();
    collect(keys, Pattern.compile("\\n    '?([a-z0-9_.]+)'?:"), source.substring(from, to));
    return keys;
  }

  @Test
  void everyDocumentedProblemCodeHasATextInBothLanguages() throws IOException {
    String i18n = read(WEBROOT.resolve("js/i18n.js"));
    Set<String> documented = documentedCodes();
    assertTrue(documented.size() >= 40, "found the codes: " + documented);
    for (String lang : new String[] {"de", "en"}) {
      Set<String> missing = new TreeSet<>(documented);
      missing.removeAll(keys(i18n, "problems", lang));
      assertEquals(Set.of(), missing, "problem codes without a text in " + lang);
    }
  }

  @Test
  void bothLanguagesHaveTheSameTexts() throws IOException {
    String i18n = read(WEBROOT.resolve("js/i18n.js"));
    assertEquals(keys(i18n, "texts", "de"), keys(i18n, "texts", "en"));
    assertEquals(keys(i18n, "problems", "de"), keys(i18n, "problems", "en"));
  }

  @Test
  void everyTextKeyTheScreensUseExists() throws IOException {
    String i18n = read(WEBROOT.resolve("js/i18n.js"));
    Set<String> known = keys(i18n, "texts", "de");
    Set<String> used = new TreeSet<>();
    try (var files = Files.walk(WEBROOT.resolve("js"))) {
      for (Path file : files.filter(p -> p.toString().endsWith(".js")).toList()) {
        collect(used, Pattern.compile("\\bt\\('([a-z0-9_.]+)'"), read(file));
      }
    }
    used.removeAll(known);
    assertEquals(Set.of(), used, "keys used by the screens but missing in i18n.js");
  }

  @Test
  void pagesLoadNothingInlineOrFromElsewhere() throws IOException {
    String index = read(WEBROOT.resolve("index.html"));
    assertTrue(!index.contains("<style") && !index.contains(" style="), "no inline styles");
    Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(index);
    while (scripts.find()) {
      assertTrue(
          scripts.group(1).contains("src=\"/"), "scripts come from Konsil: " + scripts.group());
    }
    assertTrue(!index.contains("http://") && !index.contains("https://"), "no other origins");
  }
}
