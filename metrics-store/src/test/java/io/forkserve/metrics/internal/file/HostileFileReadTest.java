package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Processes;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader never blocks on a FIFO and never allocates for a sparse file's claim. */
class HostileFileReadTest {
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

  @Test
  void sparseFileClaimingTwoGibibytes_isRefusedAndNoHugeBufferIsKept() throws Exception {
    Path sparse = dir.resolve("counter_7.db");
    try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
      f.setLength(1L << 31); // a hole: no block is written
      f.writeInt(Integer.reverseBytes(Integer.MAX_VALUE & ~7)); // used, little-endian
      f.writeInt(0);
    }
    ReaderContext context = new ReaderContext();
    MetricFileReader reader = new MetricFileReader(sparse, MetricFileName.parse("counter_7.db"));
    for (int i = 0; i < 2; i++) {
      MetricFileException e = assertThrows(MetricFileException.class, () -> reader.read(context));
      assertEquals(SkipReason.UNREADABLE, e.reason());
      assertTrue(e.detail().contains("read limit"), e.detail());
      assertTrue(context.bufferCapacity() <= ReaderContext.KEEP,
          "buffer kept: " + context.bufferCapacity() + " bytes");
    }
  }

  @Test
  void aBufferGrownForALargeFile_isKeptWhileReadsNeedItThenGivenUpByTrim() {
    ReaderContext context = new ReaderContext();
    context.buffer(ReaderContext.KEEP + 8);
    context.buffer(64); // a small file after the large one: no new buffer in between
    assertTrue(context.bufferCapacity() >= ReaderContext.KEEP + 8);
    context.trim(); // the large file was read in this scrape: the next one reads it again
    assertTrue(context.bufferCapacity() >= ReaderContext.KEEP + 8);
    context.buffer(64);
    context.trim(); // a scrape without it: given up
    assertTrue(context.bufferCapacity() <= ReaderContext.KEEP);
  }

  @Test
  void aBufferGrownForALargeFile_isGivenUpByRelease() {
    ReaderContext context = new ReaderContext();
    context.buffer(ReaderContext.KEEP + 8);
    context.release();
    assertTrue(context.bufferCapacity() <= ReaderContext.KEEP);
  }
}
