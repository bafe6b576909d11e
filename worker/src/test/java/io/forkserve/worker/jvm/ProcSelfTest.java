package io.forkserve.worker.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcSelfTest {
  @TempDir Path root;

  @Test
  void readsStatusStatFdAndLimits() throws Exception {
    Files.writeString(
        root.resolve("status"), "Name:\tjava\nVmSize:\t 4000 kB\nVmRSS:\t  1200 kB\nThreads:\t9\n");
    // the command may hold spaces and parentheses: fields count from the last ')'
    Files.writeString(
        root.resolve("stat"),
        "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 125 0 0 20 0 9 0 5 0\n");
    Files.writeString(
        root.resolve("limits"),
        "Limit                     Soft Limit           Hard Limit           Units\n"
            + "Max open files            1024                 524288               files\n");
    Files.createDirectories(root.resolve("fd"));
    for (int i = 0; i < 3; i++) {
      Files.writeString(root.resolve("fd").resolve(Integer.toString(i)), "");
    }
    ProcSelf proc = new ProcSelf(root);
    assertEquals(1200 * 1024L, proc.residentBytes());
    assertEquals(4000 * 1024L, proc.virtualBytes());
    assertEquals(3.75, proc.cpuSeconds());
    assertEquals(3, proc.openFds());
    assertEquals(1024, proc.maxFds());
  }

  @Test
  void absentFilesAreMinusOne() {
    ProcSelf proc = new ProcSelf(root.resolve("absent"));
    assertEquals(-1, proc.residentBytes());
    assertEquals(-1, proc.cpuSeconds());
    assertEquals(-1, proc.openFds());
    assertEquals(-1, proc.maxFds());
  }

  @Test
  void thisProcessOnLinux() {
    ProcSelf proc = ProcSelf.system();
    if (!Files.isDirectory(Path.of("/proc/self"))) {
      return;
    }
    assertTrue(proc.residentBytes() > 0);
    assertTrue(proc.openFds() > 0);
    assertTrue(proc.cpuSeconds() > 0);
  }
}
