package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadWorkersTest {
  @Test
  void aWorkerBuriedBeforeTheArchiveIsAttachedIsFoldedOnAttach(@TempDir Path dir)
      throws Exception {
    long pid = Processes.NO_SUCH_PID;
    Path file = dir.resolve("counter_" + pid + ".db");
    Files.copy(Fixtures.prometheusClient("v0.16.0/counters/counter_15550.db"), file);
    DeadWorkers dead = new DeadWorkers(() -> {});
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

  @Test
  void aFold_closesTheFilesTheScraperKeptOpen_withoutAScrape(@TempDir Path dir)
      throws Exception {
    long pid = Processes.NO_SUCH_PID;
    Path file = dir.resolve("counter_" + pid + ".db");
    Files.copy(Fixtures.prometheusClient("v0.16.0/counters/counter_15550.db"), file);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      scraper.scrape();
      assertEquals(List.of(file.toString()), openIn(dir), "the scraper keeps its file open");
      DeadWorkers dead = new DeadWorkers(scraper::releaseDeletedFiles);
      try {
        dead.attach(MetricsArchive.open(dir));
        dead.bury(pid);
        assertFalse(Files.exists(file), "folded and deleted");
        assertEquals(List.of(), openIn(dir), "its disk space held by the scraper");
      } finally {
        dead.close();
      }
    }
  }

  /** Files under {@code dir} this JVM has open, but the archive's. */
  private static List<String> openIn(Path dir) throws Exception {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(dir + "/") && !target.contains("/forkserve-archive/")) {
            out.add(target);
          }
        } catch (java.io.IOException e) {
          // the listing's own descriptor, or one closed meanwhile
        }
      }
    }
    return out;
  }
}
