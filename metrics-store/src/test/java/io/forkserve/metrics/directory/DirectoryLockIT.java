package io.forkserve.metrics.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory lock between real processes: refused while held, free once the holder exits. */
class DirectoryLockIT {
  @TempDir Path tmp;

  private static void awaitLine(Path log, String prefix, Process p) {
    Processes.awaitOutput(
        p,
        log,
        out -> out.lines().anyMatch(l -> l.startsWith(prefix)),
        Duration.ofSeconds(30),
        "a line starting '" + prefix + "'");
  }

  @Test
  void aSecondServerCannotShareTheDirectory_untilTheHolderExits() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("metrics"));
    Path holderLog = tmp.resolve("holder.log");
    Process holder = Processes.startJava(holderLog, LockHolderMain.class, dir.toString());
    awaitLine(holderLog, "locked ", holder);

    MultiprocDirectoryException here =
        assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.lock(dir));
    assertTrue(here.getMessage().contains("(pid " + holder.pid() + ")"), here.getMessage());
    assertFalse(here.getMessage().contains("\n"));

    Path secondLog = tmp.resolve("second.log");
    Process second = Processes.startJava(secondLog, LockHolderMain.class, dir.toString());
    assertEquals(3, Processes.await(second, secondLog, Duration.ofSeconds(60)));
    List<String> lines = Processes.read(secondLog).lines().toList();
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(
        lines
            .get(0)
            .startsWith(
                "metrics directory "
                    + dir
                    + " is in use by another forkserve"
                    + " server (pid "
                    + holder.pid()
                    + ")"),
        lines.get(0));

    holder.getOutputStream().close();
    assertEquals(0, Processes.await(holder, holderLog, Duration.ofSeconds(60)));
    MultiprocDirectory.lock(dir).close();
  }

  @Test
  void aKilledHolderReleasesTheLock() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("metrics"));
    Path log = tmp.resolve("holder.log");
    Process holder = Processes.startJava(log, LockHolderMain.class, dir.toString());
    awaitLine(log, "locked ", holder);
    assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.lock(dir));
    holder.destroyForcibly();
    Processes.await(holder, log, Duration.ofSeconds(60));
    try (MultiprocDirectory d = MultiprocDirectory.lock(dir)) {
      assertEquals(dir, d.path());
    }
  }
}
