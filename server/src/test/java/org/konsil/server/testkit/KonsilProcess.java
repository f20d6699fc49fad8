package org.konsil.server.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Konsil's command line run as a separate JVM, as an operator runs the jar. Its output goes to a
 * file, so that what it prints while it stops is kept too.
 */
public final class KonsilProcess implements AutoCloseable {

  private final Process process;
  private final Path output;

  private KonsilProcess(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  public static KonsilProcess start(Map<String, String> env, Path workDir, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
    command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    command.add("-Dorg.slf4j.simpleLogger.log.io.zonky=warn");
    command.add("-Dorg.slf4j.simpleLogger.log.org.flywaydb=warn");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("org.konsil.server.Main");
    command.addAll(List.of(args));
    try {
      Path output = Files.createTempFile(workDir, "konsil-output", ".txt");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .directory(workDir.toFile());
      builder.environment().keySet().removeIf(name -> name.startsWith("KONSIL_"));
      builder.environment().putAll(env);
      return new KonsilProcess(builder.start(), output);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Everything printed so far. */
  public String output() {
    try {
      return Files.readString(output, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits for an output line containing the text; answers it. */
  public String awaitLine(String text, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      for (String line : output().split("\n")) {
        if (line.contains(text)) {
          return line;
        }
      }
      if (!process.isAlive()) {
        break;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new AssertionError("no line with '" + text + "' in: " + output());
  }

  /** Everything printed until the process ended, which it must within the time. */
  public String outputAfterExit(long seconds) {
    int code = awaitExit(seconds);
    return output() + "\n(exit " + code + ")";
  }

  public int awaitExit(long seconds) {
    try {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        throw new AssertionError("the process did not end within " + seconds + " s");
      }
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
