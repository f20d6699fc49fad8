package org.konsil.server.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary folders of a test run, removed when they are no longer used. */
public final class Folders {

  private Folders() {}

  /**
   * Deletes the folder with everything in it; a folder that is gone already is fine. What cannot be
   * deleted stays (a test run must not fail over its leftovers in the temporary folder).
   */
  public static void delete(Path folder) {
    if (folder == null || !Files.exists(folder)) {
      return;
    }
    try (Stream<Path> files = Files.walk(folder)) {
      files.sorted(Comparator.reverseOrder()).forEach(Folders::deleteOne);
    } catch (IOException | UncheckedIOException e) {
      // left behind in the temporary folder
    }
  }

  private static void deleteOne(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // left behind in the temporary folder
    }
  }
}
