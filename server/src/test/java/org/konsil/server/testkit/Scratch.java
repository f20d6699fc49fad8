package org.konsil.server.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.konsil.db.Folders;

/**
 * Temporary folders for the tests that start Konsil as a process (its data folder, its embedded
 * database, its working folder): deleted when the test JVM ends, after the processes in them were
 * stopped. Each such folder holds a whole PostgreSQL cluster (about 65 MB).
 */
public final class Scratch {

  private static final List<Path> FOLDERS = new ArrayList<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  synchronized (FOLDERS) {
                    FOLDERS.forEach(Folders::deleteQuietly);
                  }
                }));
  }

  private Scratch() {}

  /** A new empty folder in the system's temporary folder, named with the prefix. */
  public static Path folder(String prefix) throws IOException {
    Path folder = Files.createTempDirectory(prefix);
    synchronized (FOLDERS) {
      FOLDERS.add(folder);
    }
    return folder;
  }
}
