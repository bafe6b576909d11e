package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.testsupport.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad file in the directory is skipped, counted by reason and warned about once; the rest of
 * the scrape is intact. Each test puts one good counter file (3.0) next to the bad one.
 */
class CorruptFilesTest {
  static final String KEY = FileBytes.key("jobs", "jobs_total", "{\"queue\": \"a\"}", "Jobs.");
  static final String GOOD_SAMPLE = "jobs_total{queue=\"a\"}";

  @TempDir Path dir;
  private final List<LogRecord> warnings = new ArrayList<>();
  private final Logger logger = Logger.getLogger(DirectoryScraper.class.getName());
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getLevel() == Level.WARNING) {
        warnings.add(r);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void setUp() {
    logger.addHandler(handler);
    FileBytes.v2().add(KEY, 3.0).writeTo(dir.resolve("counter_100.db"));
  }

  @AfterEach
  void tearDown() {
    logger.removeHandler(handler);
  }

  @Test
  void zeroByteFile() throws IOException {
    Files.write(dir.resolve("counter_7.db"), new byte[0]);
    assertSkippedTwiceWarnedOnce(SkipReason.EMPTY, "counter_7.db");
  }

  @Test
  void fileShorterThanItsHeader() throws IOException {
    Files.write(dir.resolve("counter_7.db"), new byte[] {8, 0, 0});
    assertSkippedTwiceWarnedOnce(SkipReason.TRUNCATED, "counter_7.db");
  }

  @Test
  void usedBeyondTheEndOfTheFile() throws IOException {
    byte[] full = FileBytes.v2().add(KEY, 5.0).bytes();
    Files.write(dir.resolve("counter_7.db"), java.util.Arrays.copyOf(full, 40));
    assertSkippedTwiceWarnedOnce(SkipReason.TRUNCATED, "counter_7.db");
  }

  @Test
  void randomGarbage() throws IOException {
    byte[] junk = new byte[4096];
    new Random(42).nextBytes(junk);
    ByteBuffer.wrap(junk).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1024); // plausible used
    Files.write(dir.resolve("histogram_7.db"), junk);
    assertSkippedTwiceWarnedOnce(SkipReason.CORRUPT, "histogram_7.db");
  }

  @Test
  void negativeOrUnalignedUsed() throws IOException {
    byte[] bytes = FileBytes.v2().add(KEY, 5.0).bytes();
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 41);
    Files.write(dir.resolve("counter_7.db"), bytes);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -16);
    Files.write(dir.resolve("counter_8.db"), bytes);
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    assertEquals(2.0, Values.skippedNow(s, SkipReason.CORRUPT));
    assertEquals(Map.of(GOOD_SAMPLE, 3.0), Values.of(s));
  }

  @Test
  void paddingThatIsNotSpaces() throws IOException {
    FileBytes f = FileBytes.v2().add(KEY, 5.0);
    byte[] bytes = f.bytes();
    bytes[f.valueOffset(KEY) - 1] = 0; // last padding byte
    Files.write(dir.resolve("counter_7.db"), bytes);
    assertSkippedTwiceWarnedOnce(SkipReason.CORRUPT, "counter_7.db");
  }

  @Test
  void keyThatIsNotJson() throws IOException {
    FileBytes.v2().add("[\"jobs\", \"jobs_total\", {\"queue\": \"a\"}, \"Jobs.\" oops]", 5.0)
        .writeTo(dir.resolve("counter_7.db"));
    assertSkippedTwiceWarnedOnce(SkipReason.CORRUPT, "counter_7.db");
  }

  @Test
  void keyThatDoesNotFitTheFileType() throws IOException {
    FileBytes.v2().add(FileBytes.key("jobs", "jobs", "{}", "A gauge key."), 5.0)
        .writeTo(dir.resolve("counter_7.db"));
    assertSkippedTwiceWarnedOnce(SkipReason.CORRUPT, "counter_7.db");
  }

  @Test
  void textFileNamedLikeAMetricFile() throws IOException {
    Files.writeString(dir.resolve("summary_7.db"), "hello, this is not a metric file\n");
    assertSkippedTwiceWarnedOnce(SkipReason.CORRUPT, "summary_7.db");
  }

  @Test
  void hexDumpOfAMetricFile() throws IOException {
    // Once found in the shared fixtures: an xxd-style dump saved over a summary file.
    byte[] real =
        Files.readAllBytes(Fixtures.prometheusClient("v0.16.0/histograms/summary_15554.db"));
    StringBuilder dump = new StringBuilder();
    for (int offset = 0; offset < real.length; offset += 16) {
      dump.append(String.format("%08x:", offset));
      for (int i = offset; i < offset + 16; i += 2) {
        dump.append(String.format(" %02x%02x", real[i], real[i + 1]));
      }
      dump.append('\n');
    }
    Files.writeString(dir.resolve("summary_7.db"), dump);
    assertSkippedTwiceWarnedOnce(SkipReason.CORRUPT, "summary_7.db");
  }

  @Test
  void sqliteDatabaseNamedLikeAMetricFile() throws Exception {
    sqlite(dir.resolve("counter_7.db"));
    assertSkippedTwiceWarnedOnce(SkipReason.CORRUPT, "counter_7.db");
  }

  @Test
  void sqliteDatabaseWithItsOwnName() throws Exception {
    sqlite(dir.resolve("app.db"));
    assertSkippedTwiceWarnedOnce(SkipReason.BAD_NAME, "app.db");
  }

  @Test
  void namesThatAreNotMetricFileNames() throws IOException {
    byte[] valid = FileBytes.v2().add(KEY, 5.0).bytes();
    for (String name : List.of("foo.db", "counter_1_2_3.db", "counter_.db", "gauge_bogus_1.db",
        "gauge_all.db", "Counter_1.db", "gauge_livesum_1_2.db")) {
      Files.write(dir.resolve(name), valid);
    }
    Files.write(dir.resolve("counter_7.db.bak"), valid); // not *.db: ignored, not counted
    Files.writeString(dir.resolve("README"), "not ours");
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    assertEquals(7.0, Values.skippedNow(s, SkipReason.BAD_NAME));
    assertEquals(Map.of(GOOD_SAMPLE, 3.0), Values.of(s));
  }

  @Test
  void directoryNamedLikeAMetricFile() throws IOException {
    Files.createDirectory(dir.resolve("counter_7.db"));
    assertSkippedTwiceWarnedOnce(SkipReason.UNREADABLE, "counter_7.db");
  }

  @Test
  void fileThatShrinksBetweenListingAndReading() throws IOException {
    Path victim = FileBytes.v2().add(KEY, 5.0).writeTo(dir.resolve("counter_7.db"));
    try (DirectoryScraper scraper = new DirectoryScraper(dir, List.of(), path -> {
      if (path.equals(victim)) {
        try (FileChannel ch = FileChannel.open(victim, StandardOpenOption.WRITE)) {
          ch.truncate(16);
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      }
    })) {
      MetricSnapshots s = scraper.scrape();
      assertEquals(1.0, Values.skippedNow(s, SkipReason.TRUNCATED));
      assertEquals(Map.of(GOOD_SAMPLE, 3.0), Values.of(s));
    }
  }

  @Test
  void fileThatVanishesBetweenListingAndReading() throws IOException {
    Path victim = FileBytes.v2().add(KEY, 5.0).writeTo(dir.resolve("gauge_livesum_7.db"));
    try (DirectoryScraper scraper = new DirectoryScraper(dir, List.of(), path -> {
      if (path.equals(victim)) {
        try {
          Files.delete(victim);
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      }
    })) {
      MetricSnapshots s = scraper.scrape();
      assertEquals(1.0, Values.skippedNow(s, SkipReason.VANISHED));
      assertEquals(Map.of(GOOD_SAMPLE, 3.0), Values.of(s));
      MetricSnapshots next = scraper.scrape();
      assertEquals(0.0, Values.skippedNow(next, SkipReason.VANISHED));
      assertEquals(1.0, Values.skipsTotal(next, SkipReason.VANISHED));
    }
  }

  @Test
  void fileThatShrinksAfterItWasReadIsReadAfresh() throws IOException {
    Path file = FileBytes.v2().add(KEY, 5.0)
        .add(FileBytes.key("jobs", "jobs_total", "{\"queue\": \"b\"}", "Jobs."), 1.0)
        .writeTo(dir.resolve("counter_7.db"));
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      assertEquals(8.0, Values.of(scraper.scrape()).get(GOOD_SAMPLE));
      FileBytes.v2().add(KEY, 2.0).overwrite(file); // same inode, smaller used
      Map<String, Double> after = Values.of(scraper.scrape());
      assertEquals(Map.of(GOOD_SAMPLE, 5.0), after);
    }
  }

  @Test
  void badFileThatIsRepairedIsReadAgain() throws IOException {
    Path file = dir.resolve("counter_7.db");
    Files.write(file, new byte[0]);
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      assertEquals(1.0, Values.skippedNow(scraper.scrape(), SkipReason.EMPTY));
      FileBytes.v2().add(KEY, 4.0).writeTo(file);
      MetricSnapshots s = scraper.scrape();
      assertEquals(0.0, Values.skippedNow(s, SkipReason.EMPTY));
      assertEquals(Map.of(GOOD_SAMPLE, 7.0), Values.of(s));
    }
  }

  @Test
  void mixedV1AndV2FilesMergeTogether() throws IOException {
    FileBytes.v1().add(KEY, 10.0).writeTo(dir.resolve("counter_7.db"));
    FileBytes.v1().add(KEY, 0.5).add(KEY.replace("\"a\"", "\"b\""), 1.0)
        .writeTo(dir.resolve("counter_8.db"));
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    assertEquals(Map.of(GOOD_SAMPLE, 13.5, "jobs_total{queue=\"b\"}", 1.0), Values.of(s));
    for (SkipReason r : SkipReason.values()) {
      assertEquals(0.0, Values.skippedNow(s, r), r.label());
    }
  }

  @Test
  void allocatedButNeverInitialisedFileIsEmptyNotBad() throws IOException {
    Files.write(dir.resolve("counter_7.db"), new byte[65536]); // used == 0: writer mid-create
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    for (SkipReason r : SkipReason.values()) {
      assertEquals(0.0, Values.skippedNow(s, r), r.label());
    }
    assertEquals(Map.of(GOOD_SAMPLE, 3.0), Values.of(s));
  }

  private void assertSkippedTwiceWarnedOnce(SkipReason reason, String fileName) {
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      MetricSnapshots first = scraper.scrape();
      MetricSnapshots second = scraper.scrape();
      for (MetricSnapshots s : List.of(first, second)) {
        assertEquals(1.0, Values.skippedNow(s, reason), reason.label());
        assertEquals(Map.of(GOOD_SAMPLE, 3.0), Values.of(s));
      }
      assertEquals(1.0, Values.skipsTotal(first, reason));
      assertEquals(2.0, Values.skipsTotal(second, reason));
      assertEquals(1, warnings.size(), "one warning for two scrapes");
      assertTrue(warnings.get(0).getMessage().contains(fileName), warnings.get(0).getMessage());
      assertEquals(List.of(fileName + " " + reason.label()),
          scraper.lastSkipped().stream()
              .map(f -> f.path().getFileName() + " " + f.reason().label()).toList());
    }
  }

  /** Copies a real SQLite database (test resource sqlite/jobs.sqlite) to {@code file}. */
  private static void sqlite(Path file) throws Exception {
    try (InputStream in = CorruptFilesTest.class.getResourceAsStream("/sqlite/jobs.sqlite")) {
      Files.copy(in, file);
    }
    assertTrue(new String(Files.readAllBytes(file), 0, 15, StandardCharsets.US_ASCII)
        .startsWith("SQLite format 3"));
  }
}
