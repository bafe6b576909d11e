package io.forkserve.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers for the supervisor's child processes: how to start a JVM, how to end a tree. */
final class Processes {
  private Processes() {}

  /** The java launcher of this JVM, for starting workers on the same runtime. */
  static String javaCommand() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** VmRSS of process {@code pid} from /proc, in bytes; 0 when unknown. */
  static long residentBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or no /proc: unknown
    }
    return 0;
  }

  /** SIGKILL for {@code process} and every descendant it has now. Null is ignored. */
  static void killTree(Process process) {
    if (process == null) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /**
   * Waits up to 2 s for {@code process} (already asked to stop) to exit, else kills its tree; then
   * kills whatever of {@code descendants} (taken before it was asked) is still alive.
   */
  static void awaitOrKill(Process process, List<ProcessHandle> descendants) {
    try {
      if (!process.waitFor(2, TimeUnit.SECONDS)) {
        killTree(process);
      }
    } catch (InterruptedException e) {
      killTree(process);
      Thread.currentThread().interrupt();
    }
    descendants.forEach(ProcessHandle::destroyForcibly);
  }
}
