package org.konsil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** CPU time and resident memory of processes, read from Linux's /proc. */
final class ProcStats {

  private static final double TICKS_PER_SECOND = 100.0;

  private ProcStats() {}

  /** CPU seconds (user + system) of the process, and of its waited-for children if asked. */
  static double cpuSeconds(long pid, boolean withReapedChildren) {
    String[] fields = stat(pid);
    if (fields == null) {
      return 0;
    }
    // fields after the command: state is [0]; utime [11], stime [12], cutime [13], cstime [14]
    double ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    if (withReapedChildren) {
      ticks += Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
    }
    return ticks / TICKS_PER_SECOND;
  }

  /** CPU seconds of a PostgreSQL server: the postmaster, its ended and its living backends. */
  static double postgresCpuSeconds(long postmaster) {
    double total = cpuSeconds(postmaster, true);
    for (long child : children(postmaster)) {
      total += cpuSeconds(child, false);
    }
    return total;
  }

  static List<Long> children(long parent) {
    List<Long> found = new ArrayList<>();
    try (var entries = Files.list(Path.of("/proc"))) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        String[] fields = stat(Long.parseLong(name));
        if (fields != null && Long.parseLong(fields[1]) == parent) {
          found.add(Long.parseLong(name));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return found;
  }

  /** Resident memory in bytes (VmRSS). */
  static long residentBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }

  /** The fields of /proc/pid/stat after the command name, or null for a process that is gone. */
  private static String[] stat(long pid) {
    try {
      String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return text.substring(text.lastIndexOf(')') + 2).split(" ");
    } catch (IOException e) {
      return null;
    }
  }
}
