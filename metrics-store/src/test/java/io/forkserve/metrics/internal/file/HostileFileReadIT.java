package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Processes;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader never blocks on a FIFO. Java cannot make one, so mkfifo(1) does: a process, hence
 * an IT; the rest of the hostile files are in {@link HostileFileReadTest}.
 */
class HostileFileReadIT {
  @TempDir Path dir;

  @Test
  void fifo_failsAsUnreadableAtOnce() throws Exception {
    Path fifo = dir.resolve("counter_7.db");
    Processes.run(new byte[0], "mkfifo", fifo.toString()); // coreutils: there wherever we run
    MetricFileReader reader = new MetricFileReader(fifo, MetricFileName.parse("counter_7.db"));
    MetricFileException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      try {
        reader.read(new ReaderContext());
        return null;
      } catch (MetricFileException x) {
        return x;
      }
    }, "opening a FIFO blocks until a writer comes");
    assertEquals(SkipReason.UNREADABLE, e.reason());
    assertTrue(e.detail().contains("not a regular file"), e.detail());
  }
}
