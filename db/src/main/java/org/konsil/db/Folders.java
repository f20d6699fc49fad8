package org.konsil.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting a folder with everything in it. */
public final class Folders {

  private Folders() {}

  /** Deletes the folder and what it holds; a folder that does not exist is fine. */
  public static void deleteTree(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(folder)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /**
   * The same for a scratch folder (a test's, the benchmark's): what cannot be deleted stays behind,
   * and nothing fails over it.
   */
  public static void deleteQuietly(Path folder) {
    if (folder == null) {
      return;
    }
    try {
      deleteTree(folder);
    } catch (IOException | UncheckedIOException e) {
      // left behind in the temporary folder
    }
  }
}
