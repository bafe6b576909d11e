package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.model.MetricSnapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One scraper over a directory whose files change between scrapes, as live writers change them. */
class IncrementalScrapeTest {
  static final String A = FileBytes.key("jobs", "jobs_total", "{\"q\": \"a\"}", "Jobs.");
  static final String B = FileBytes.key("jobs", "jobs_total", "{\"q\": \"b\"}", "Jobs.");
  static final String C = FileBytes.key("jobs", "jobs_total", "{\"q\": \"c\"}", "Jobs.");

  @TempDir Path dir;

  @Test
  void appendedEntriesAndValuesChangedInPlaceAreSeen() {
    Path file = dir.resolve("counter_1.db");
    FileBytes bytes = FileBytes.v2().add(A, 1.0);
    bytes.writeTo(file);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      assertEquals(Map.of("jobs_total{q=\"a\"}", 1.0), Values.of(scraper.scrape()));

      bytes.add(B, 2.0).overwrite(file); // appended entry, then used
      FileBytes.putDouble(file, bytes.valueOffset(A), 5.0);
      assertEquals(Map.of("jobs_total{q=\"a\"}", 5.0, "jobs_total{q=\"b\"}", 2.0),
          Values.of(scraper.scrape()));

      FileBytes.putDouble(file, bytes.valueOffset(B), 7.0);
      assertEquals(Map.of("jobs_total{q=\"a\"}", 5.0, "jobs_total{q=\"b\"}", 7.0),
          Values.of(scraper.scrape()));
    }
  }

  @Test
  void aFileThatStartsEmptyHasItsVersionDetectedWhenEntriesArrive() {
    Path file = dir.resolve("counter_1.db");
    FileBytes bytes = FileBytes.v1();
    bytes.writeTo(file);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      assertEquals(Map.of(), Values.of(scraper.scrape()));
      bytes.add(A, 3.0).add(B, 4.0).overwrite(file);
      assertEquals(Map.of("jobs_total{q=\"a\"}", 3.0, "jobs_total{q=\"b\"}", 4.0),
          Values.of(scraper.scrape()));
    }
  }

  @Test
  void entriesAlreadyDecodedAreNotDecodedAgain() throws IOException {
    Path file = dir.resolve("counter_1.db");
    FileBytes bytes = FileBytes.v2().add(A, 1.0).add(B, 2.0).add(C, 3.0);
    bytes.writeTo(file);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      scraper.scrape();
      // Spoil the middle key where only a decoder would look: a fresh reader rejects the file.
      int keyStart = bytes.valueOffset(A) + 16 + 4;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap("{{".getBytes(StandardCharsets.US_ASCII)), keyStart + 1);
      }
      FileBytes.putDouble(file, bytes.valueOffset(B), 20.0);
      assertEquals(Map.of("jobs_total{q=\"a\"}", 1.0, "jobs_total{q=\"b\"}", 20.0,
          "jobs_total{q=\"c\"}", 3.0), Values.of(scraper.scrape()));
      MetricSnapshots fresh = DirectoryScraper.scrapeOnce(dir);
      assertEquals(1.0, Values.skippedNow(fresh, SkipReason.CORRUPT));
    }
  }

  @Test
  void aFileReplacedUnderTheSameNameIsANewFile() throws IOException {
    Path file = dir.resolve("counter_1.db");
    FileBytes.v2().add(A, 1.0).add(B, 2.0).writeTo(file);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      scraper.scrape();
      Files.delete(file);
      FileBytes.v1().add(C, 9.0).add(A, 0.5).add(B, 0.25).writeTo(file);
      assertEquals(Map.of("jobs_total{q=\"a\"}", 0.5, "jobs_total{q=\"b\"}", 0.25,
          "jobs_total{q=\"c\"}", 9.0), Values.of(scraper.scrape()));
    }
  }

  @Test
  void aFileRewrittenInPlaceWithOtherContentIsReadAfresh() {
    Path file = dir.resolve("counter_1.db");
    FileBytes.v2().add(A, 1.0).writeTo(file);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      scraper.scrape();
      FileBytes.v2().add(B, 2.0).add(C, 3.0).overwrite(file); // same inode, larger used
      assertEquals(Map.of("jobs_total{q=\"b\"}", 2.0, "jobs_total{q=\"c\"}", 3.0),
          Values.of(scraper.scrape()));
    }
  }

  @Test
  void theSeriesOfADeletedFileDisappear() throws IOException {
    FileBytes.v2().add(A, 1.0).writeTo(dir.resolve("counter_1.db"));
    FileBytes.v2().add(B, 2.0).writeTo(dir.resolve("counter_2.db"));
    FileBytes.v2().add(gaugeKey(), 4.0).writeTo(dir.resolve("gauge_liveall_2.db"));
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      assertEquals(3, Values.of(scraper.scrape()).size());
      Files.delete(dir.resolve("counter_2.db"));
      Files.delete(dir.resolve("gauge_liveall_2.db"));
      assertEquals(Map.of("jobs_total{q=\"a\"}", 1.0), Values.of(scraper.scrape()));
    }
  }

  @Test
  void aFileKeptOpenBetweenScrapesIsClosedOnceDeletedOrReplaced() throws IOException {
    Path gone = dir.resolve("counter_1.db");
    Path replaced = dir.resolve("counter_2.db");
    FileBytes.v2().add(A, 1.0).writeTo(gone);
    FileBytes.v2().add(B, 2.0).writeTo(replaced);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      scraper.scrape();
      assertEquals(2, openFilesUnder(dir), "each file is kept open between scrapes");
      Files.delete(gone);
      Path next = dir.resolve("next.tmp");
      FileBytes.v2().add(C, 3.0).writeTo(next);
      Files.move(next, replaced, StandardCopyOption.ATOMIC_MOVE);
      assertEquals(Map.of("jobs_total{q=\"c\"}", 3.0), Values.of(scraper.scrape()));
      assertEquals(1, openFilesUnder(dir), "the deleted and the replaced file are closed");
    }
  }

  /** Open file descriptors of this process on files under {@code dir}, deleted ones included. */
  private static long openFilesUnder(Path dir) throws IOException {
    String prefix = dir.toRealPath() + "/";
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().startsWith(prefix);
        } catch (IOException e) { // the directory stream's own fd closed meanwhile
          return false;
        }
      }).count();
    }
  }

  @Test
  void manyPidsComingAndGoingKeepTheOutputRight() throws IOException {
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      for (int round = 0; round < 3; round++) {
        for (int pid = 0; pid < 1500; pid++) {
          Path f = dir.resolve("gauge_liveall_" + (round * 10_000 + pid) + ".db");
          FileBytes.v2().add(gaugeKey(), pid).add(FileBytes.key("h", "h", "{}", "H."), 1.0)
              .add(FileBytes.key("k", "k", "{}", "K."), 1.0).writeUsedTo(f);
        }
        assertEquals(3 * 1500, Values.of(scraper.scrape()).size());
        for (int pid = 0; pid < 1500; pid++) {
          Files.delete(dir.resolve("gauge_liveall_" + (round * 10_000 + pid) + ".db"));
        }
      }
      assertEquals(Map.of(), Values.of(scraper.scrape()));
    }
  }

  private static String gaugeKey() {
    return FileBytes.key("g", "g", "{}", "G.");
  }
}
