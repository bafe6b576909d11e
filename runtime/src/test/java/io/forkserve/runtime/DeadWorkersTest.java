package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.testsupport.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadWorkersTest {
  @Test
  void aWorkerBuriedBeforeTheArchiveIsAttachedIsFoldedOnAttach(@TempDir Path dir)
      throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    long pid = gone.pid();
    Path file = dir.resolve("counter_" + pid + ".db");
    Files.copy(Fixtures.prometheusClient("v0.16.0/counters/counter_15550.db"), file);
    DeadWorkers dead = new DeadWorkers();
    try {
      dead.bury(pid);
      assertEquals(List.of(pid), dead.pending());
      assertTrue(Files.exists(file), "kept until there is an archive to fold into");

      dead.attach(MetricsArchive.open(dir));
      assertEquals(List.of(), dead.pending());
      assertFalse(Files.exists(file), "folded into the archive and deleted");
    } finally {
      dead.close();
    }
    dead.bury(pid + 1);
    assertEquals(List.of(), dead.pending(), "closed: a burial does nothing");
  }
}
