package io.forkserve.metrics.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.Sample;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged archive (issue 14, finding 5) is found before LMDB maps a page it does not hold:
 * the owner moves it aside, logs it, starts afresh and every scraper counts it once; a
 * read-only view fails with one printable line. No test here may crash the JVM with SIGBUS.
 */
class ArchiveDamageTest {
  private static final long PID = ArchiveTest.PID_A;

  @TempDir Path dir;

  private Path data() {
    return dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER).resolve(ArchiveEnv.DATA_FILE);
  }

  private void countJobs(long pid, double n) {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(pid).open()) {
      Counter.builder("jobs").help("J.").register(r).inc(n);
    }
  }

  private static double value(MetricSnapshots s, String sample, String reason) {
    for (var family : s.families()) {
      for (Sample x : family.samples()) {
        if (x.name().equals(sample)
            && (reason == null || reason.equals(x.labels().get("reason")))) {
          return x.value();
        }
      }
    }
    return Double.NaN;
  }

  private static double archiveSkips(MetricSnapshots s) {
    return value(s, DirectoryScraper.FILE_SKIPS + "_total", "archive");
  }

  @Test
  void truncatedUnderALiveServer_isFoundBeforeTheRead_movedAsideAndCountedOnce()
      throws Exception {
    countJobs(PID, 5);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(PID);
      try (DirectoryScraper scraper =
          new DirectoryScraper(dir, List.of(archive.newMergeSource()))) {
        assertEquals(5.0, value(scraper.scrape(), "jobs_total", null));
        try (RandomAccessFile f = new RandomAccessFile(data().toFile(), "rw")) {
          f.setLength(f.length() - 4096); // LMDB would read a page past the end: SIGBUS
        }
        MetricSnapshots after = scraper.scrape();
        assertEquals(1.0, archiveSkips(after));
        assertTrue(Double.isNaN(value(after, "jobs_total", null)), "the archived total is gone");
        assertTrue(Files.isDirectory(dir.resolve(MetricsArchive.DAMAGED_FOLDER)));
        assertTrue(archive.lastDamage().contains("truncated"), archive.lastDamage());
        countJobs(PID + 1, 2); // the fresh archive folds and counts exactly again
        archive.fold(PID + 1);
        MetricSnapshots later = scraper.scrape();
        assertEquals(2.0, value(later, "jobs_total", null));
        assertEquals(1.0, archiveSkips(later), "counted once, not per scrape");
      }
    }
  }

  @Test
  void garbageArchive_isMovedAsideAtOpen_andCountedOnceByEachScraper() throws Exception {
    Path folder = dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER);
    Files.createDirectories(folder);
    byte[] junk = new byte[64 * 1024];
    new Random(7).nextBytes(junk);
    Files.write(data(), junk);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      assertTrue(archive.lastDamage().contains("not an LMDB file"), archive.lastDamage());
      assertTrue(Files.exists(dir.resolve(MetricsArchive.DAMAGED_FOLDER)
          .resolve(ArchiveEnv.DATA_FILE)));
      try (DirectoryScraper scraper =
          new DirectoryScraper(dir, List.of(archive.newMergeSource()))) {
        assertEquals(1.0, archiveSkips(scraper.scrape()));
        assertEquals(1.0, archiveSkips(scraper.scrape()));
        countJobs(PID, 3);
        archive.fold(PID);
        assertEquals(3.0, value(scraper.scrape(), "jobs_total", null));
      }
    }
  }

  @Test
  void wrongFormatMarker_isDamage() throws Exception {
    countJobs(PID, 1);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(PID);
      ArchiveEnv env = archive.usableEnv();
      env.write(txn -> {
        ByteBuffer k = ByteBuffer.allocateDirect(64);
        ByteBuffer v = ByteBuffer.allocateDirect(64);
        env.db().put(txn, ArchiveLayout.put(k, ArchiveLayout.META_FORMAT),
            ArchiveLayout.put(v, "forkserve-archive 99"));
        return null;
      });
      try (DirectoryScraper scraper =
          new DirectoryScraper(dir, List.of(archive.newMergeSource()))) {
        MetricSnapshots s = scraper.scrape();
        assertEquals(1.0, archiveSkips(s));
        assertTrue(archive.lastDamage().contains("forkserve-archive 99"), archive.lastDamage());
        assertTrue(Double.isNaN(value(s, "jobs_total", null)));
      }
    }
  }

  @Test
  void craftedMetaPages_failAReadOnlyViewWithOnePrintableLine() throws Exception {
    countJobs(PID, 1);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(PID);
    }
    byte[] bytes = Files.readAllBytes(data());
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    int pageSize = b.getInt(40);
    for (int meta : new int[] {0, pageSize}) {
      b.putLong(meta + 136, 1L << 20); // last and root page far past the end of the file
      b.putLong(meta + 128, 1L << 20);
      b.putLong(meta + 32, 1L << 40);
    }
    Files.write(data(), bytes);
    try (MetricsArchive view = MetricsArchive.openReadOnly(dir)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, view::contents);
      assertTrue(e.getMessage().contains("truncated"), e.getMessage());
      assertTrue(ArchiveLayout.printable(e.getMessage()), e.getMessage());
      MetricSnapshots s = DirectoryScraper.scrapeOnce(dir, List.of(view.newMergeSource()));
      assertEquals(1.0, archiveSkips(s));
    }
    assertFalse(Files.exists(dir.resolve(MetricsArchive.DAMAGED_FOLDER)), "a view moves nothing");
  }

  @Test
  void soundArchive_hasNoProblem() throws Exception {
    countJobs(PID, 1);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(PID);
      assertNull(ArchiveFile.problem(archive.folder(), null));
      assertNull(archive.usableEnv().problem());
      assertEquals(0, archive.resets());
    }
  }
}
