package org.konsil.server.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.konsil.server.http.ApiException;

/**
 * What a user typed into the search, as words: letters and digits only, lower case, at most eight.
 * The words go into SQL as parameters only: as {@code LIKE} patterns (escaped) and as a full text
 * query of prefixes ({@code word:*} joined by {@code &}), which letters and digits cannot break.
 */
record SearchQuery(List<String> words) {

  static final int MAX_LENGTH = 100;
  private static final int MAX_WORDS = 8;

  static SearchQuery parse(String text) {
    if (text == null || text.isBlank() || text.length() > MAX_LENGTH) {
      throw ApiException.validation("'q' must have 1 to " + MAX_LENGTH + " characters.");
    }
    List<String> words = new ArrayList<>();
    for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!word.isEmpty() && words.size() < MAX_WORDS) {
        words.add(word);
      }
    }
    if (words.isEmpty() || words.stream().mapToInt(String::length).sum() < 2) {
      throw ApiException.validation("'q' must contain at least two letters or digits.");
    }
    return new SearchQuery(List.copyOf(words));
  }

  /** One {@code LIKE} pattern per word: all must match. */
  String[] patterns() {
    return words.stream().map(word -> "%" + word + "%").toArray(String[]::new);
  }

  /** Every word as a prefix, for {@code to_tsquery('simple', ...)}. */
  String prefixQuery() {
    return String.join(" & ", words.stream().map(word -> word + ":*").toList());
  }
}
