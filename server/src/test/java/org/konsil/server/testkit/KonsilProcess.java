package org.konsil.server.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Konsil's command line run as a separate JVM, as an operator runs the jar. */
public final class KonsilProcess implements AutoCloseable {

  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();

  private KonsilProcess(Process process) {
    this.process = process;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "konsil-process-output");
    reader.setDaemon(true);
    reader.start();
  }

  public static KonsilProcess start(Map<String, String> env, Path workDir, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("org.konsil.server.Main");
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).directory(workDir.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("KONSIL_"));
    builder.environment().putAll(env);
    try {
      return new KonsilProcess(builder.start());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits for an output line containing the text; answers it. */
  public String awaitLine(String text, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    try {
      while (System.nanoTime() < deadline) {
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        if (line != null) {
          seen.add(line);
          if (line.contains(text)) {
            return line;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new AssertionError("no line with '" + text + "' in: " + String.join("\n", seen));
  }

  /** Everything printed until the process ended, which it must within the time. */
  public String outputAfterExit(long seconds) {
    int code = awaitExit(seconds);
    lines.drainTo(seen);
    return String.join("\n", seen) + "\n(exit " + code + ")";
  }

  public int awaitExit(long seconds) {
    try {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        throw new AssertionError("the process did not end within " + seconds + " s");
      }
      // let the reader thread catch up with the last lines
      Thread.sleep(100);
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** SIGTERM, as an init system stops a service. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: no shutdown hook runs. */
  public void kill() {
    process.destroyForcibly();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
