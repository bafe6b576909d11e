package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.testsupport.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FIFO planted in the directory under a metric file's name (issue 14, finding 11) costs the
 * scrape nothing and is counted. Java cannot make a FIFO, so mkfifo(1) does: a process, hence an
 * IT; the other planted files are in {@link HostileFilesTest}.
 */
class HostileFilesIT {
  @TempDir Path dir;

  @Test
  void fifoNamedLikeAMetricFile_isSkippedWithoutBlocking() throws Exception {
    FileBytes.v2().add(CorruptFilesTest.KEY, 3.0).writeTo(dir.resolve("counter_100.db"));
    Path fifo = dir.resolve("counter_7.db");
    Processes.run(new byte[0], "mkfifo", fifo.toString()); // coreutils: there wherever we run
    MetricSnapshots s = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> DirectoryScraper.scrapeOnce(dir));
    assertEquals(1.0, Values.skippedNow(s, SkipReason.UNREADABLE));
    assertEquals(Map.of(CorruptFilesTest.GOOD_SAMPLE, 3.0), Values.of(s));
  }
}
