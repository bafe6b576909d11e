package io.forkserve.worker.jvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Linux's {@code /proc/self} says of this process: resident and virtual memory ({@code
 * status}), CPU time ({@code stat}), open and maximum file descriptors ({@code fd}, {@code
 * limits}). Each reader returns -1 when the file is absent or unreadable (not Linux). Only the
 * sampler thread calls it.
 */
final class ProcSelf {
  /** Clock ticks per second of {@code stat}'s utime and stime: 100 on every Linux we run on. */
  static final double TICKS_PER_SECOND = 100;

  private final Path root;

  ProcSelf(Path root) {
    this.root = root;
  }

  static ProcSelf system() {
    return new ProcSelf(Path.of("/proc/self"));
  }

  /** {@code VmRSS} of {@code status}, in bytes. */
  long residentBytes() {
    return bytes(statusKib("VmRSS:"));
  }

  /** {@code VmSize} of {@code status}, in bytes. */
  long virtualBytes() {
    return bytes(statusKib("VmSize:"));
  }

  private static long bytes(long kib) {
    return kib < 0 ? -1 : kib * 1024;
  }

  /** User plus system CPU time from {@code stat}, in seconds; -1 if unknown. */
  double cpuSeconds() {
    String stat = read("stat");
    if (stat == null) {
      return -1;
    }
    // fields after the command, which is in parentheses and may hold spaces: state is field 3
    int close = stat.lastIndexOf(')');
    String[] fields = stat.substring(close + 2).trim().split(" ");
    if (fields.length < 13) {
      return -1;
    }
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
  }

  /** Entries of {@code fd}. */
  long openFds() {
    long n = 0;
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(root.resolve("fd"))) {
      for (Path ignored : fds) {
        n++;
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return n;
  }

  /** The soft limit of {@code Max open files} in {@code limits}. */
  long maxFds() {
    String limits = read("limits");
    if (limits == null) {
      return -1;
    }
    for (String line : limits.split("\n")) {
      if (line.startsWith("Max open files")) {
        String[] words = line.substring("Max open files".length()).trim().split("\\s+");
        return words[0].equals("unlimited") ? -1 : Long.parseLong(words[0]);
      }
    }
    return -1;
  }

  private long statusKib(String key) {
    String status = read("status");
    if (status == null) {
      return -1;
    }
    for (String line : status.split("\n")) {
      if (line.startsWith(key)) {
        String[] words = line.substring(key.length()).trim().split("\\s+");
        return Long.parseLong(words[0]);
      }
    }
    return -1;
  }

  private String read(String name) {
    try {
      return Files.readString(root.resolve(name), StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
