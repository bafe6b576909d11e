package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader never allocates for a sparse file's claim; for a FIFO (made by a process, mkfifo)
 * see {@link HostileFileReadIT}.
 */
class HostileFileReadTest {
  @TempDir Path dir;

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
