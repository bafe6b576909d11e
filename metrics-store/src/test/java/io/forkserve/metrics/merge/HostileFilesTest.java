package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.model.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files planted by someone else (issue 14, finding 11): a sparse file claiming gigabytes, a NaN
 * counter (a FIFO named like a metric file: {@link HostileFilesIT}). Each costs the scrape nothing
 * and is counted.
 */
class HostileFilesTest {
  @TempDir Path dir;

  @Test
  void sparseFileClaimingTwoGibibytes_isNotReadAndNoBufferIsKept() throws Exception {
    FileBytes.v2().add(CorruptFilesTest.KEY, 3.0).writeTo(dir.resolve("counter_100.db"));
    Path sparse = dir.resolve("counter_7.db");
    try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
      f.setLength(1L << 31); // a hole: no block is written
      f.seek(0);
      f.writeInt(Integer.reverseBytes(Integer.MAX_VALUE & ~7)); // used, little-endian
      f.writeInt(0);
    }
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      MetricSnapshots s = scraper.scrape();
      assertEquals(1.0, Values.skippedNow(s, SkipReason.UNREADABLE));
      assertEquals(Map.of(CorruptFilesTest.GOOD_SAMPLE, 3.0), Values.of(s));
    }
  }

  @Test
  void nanCounterFromAForeignFile_isLeftOutAndCounted_andThePageStaysValid() throws Exception {
    FileBytes.v2().add(CorruptFilesTest.KEY, 3.0).writeTo(dir.resolve("counter_100.db"));
    FileBytes.v1().add(CorruptFilesTest.KEY, Double.NaN).writeTo(dir.resolve("counter_7.db"));
    FileBytes.v1().add(FileBytes.key("temp", "temp", "{}", "T."), Double.NaN)
        .writeTo(dir.resolve("gauge_all_7.db"));
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      MetricSnapshots s = scraper.scrape();
      assertEquals(3.0, Values.of(s).get(CorruptFilesTest.GOOD_SAMPLE));
      assertEquals(1.0, Values.skippedNow(s, SkipReason.INVALID_VALUE));
      assertTrue(Double.isNaN(Values.of(s).get("temp{pid=\"7\"}")), "a NaN gauge is allowed");
      ByteArrayOutputStream page = new ByteArrayOutputStream();
      Exposition.write(s, ExpositionFormat.OPENMETRICS, page);
      for (String line : page.toString(StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("jobs")) {
          assertFalse(line.contains("NaN"), line);
        }
      }
      assertEquals(2.0, Values.skipsTotal(scraper.scrape(), SkipReason.INVALID_VALUE));
    }
  }
}
