package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files a scraper keeps open between scrapes, as this JVM's descriptors show them
 * ({@code /proc/self/fd}): closed by close(), and a deleted one closed by releaseDeletedFiles()
 * without another scrape, even when a scrape was reading at the time.
 */
class OpenFilesTest {
  private static final String A = IncrementalScrapeTest.A;
  private static final String B = IncrementalScrapeTest.B;

  @TempDir Path dir;

  @Test
  void close_closesEveryFile_isIdempotent_andAScrapeAfterItFails() throws Exception {
    FileBytes.v2().add(A, 1.0).writeTo(dir.resolve("counter_1.db"));
    FileBytes.v2().add(B, 2.0).writeTo(dir.resolve("counter_2.db"));
    DirectoryScraper scraper = new DirectoryScraper(dir);
    assertEquals(3.0, sum(scraper));
    assertEquals(2, openIn(dir).size(), "kept open between scrapes");
    scraper.close();
    assertEquals(List.of(), openIn(dir));
    scraper.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, scraper::scrape);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void releaseDeletedFiles_closesADeletedFileWithoutAScrape() throws Exception {
    Path gone = FileBytes.v2().add(A, 1.0).writeTo(dir.resolve("counter_1.db"));
    Path kept = FileBytes.v2().add(B, 2.0).writeTo(dir.resolve("counter_2.db"));
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      assertEquals(3.0, sum(scraper));
      Files.delete(gone);
      assertEquals(List.of(gone + " (deleted)", kept.toString()), openIn(dir));
      scraper.releaseDeletedFiles();
      assertEquals(List.of(kept.toString()), openIn(dir));
      assertEquals(2.0, sum(scraper));
    }
  }

  @Test
  void releaseDuringAScrape_returnsAtOnce_andTheScrapeReleasesWhenItEnds() throws Exception {
    Path first = FileBytes.v2().add(A, 1.0).writeTo(dir.resolve("counter_1.db"));
    Path second = FileBytes.v2().add(B, 2.0).writeTo(dir.resolve("counter_2.db"));
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    boolean[] hold = {false};
    DirectoryScraper scraper = new DirectoryScraper(dir, List.of(), path -> {
      if (hold[0] && path.equals(second)) { // the first file is read and kept open by now
        reading.countDown();
        try {
          assertTrue(go.await(60, TimeUnit.SECONDS), "never let go");
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }
    });
    ExecutorService scraping = Executors.newSingleThreadExecutor();
    try (scraper) {
      assertEquals(3.0, sum(scraper));
      hold[0] = true;
      Future<Double> held = scraping.submit(() -> sum(scraper));
      assertTrue(reading.await(60, TimeUnit.SECONDS), "the scrape never reached the second file");
      Files.delete(first); // after the scrape read it
      scraper.releaseDeletedFiles(); // returns while the scrape holds the scraper
      assertEquals(List.of(first + " (deleted)", second.toString()), openIn(dir));
      go.countDown();
      assertEquals(3.0, held.get(60, TimeUnit.SECONDS));
      assertEquals(List.of(second.toString()), openIn(dir), "released as the scrape ended");
    } finally {
      scraping.shutdownNow();
    }
  }

  private static double sum(DirectoryScraper scraper) {
    return Values.of(scraper.scrape()).values().stream().mapToDouble(Double::doubleValue).sum();
  }

  /** The targets of this JVM's descriptors inside {@code dir}, sorted. */
  static List<String> openIn(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(dir.toString() + "/")) {
            out.add(target);
          }
        } catch (IOException e) {
          // the descriptor of the listing itself, or one closed meanwhile
        }
      }
    }
    out.sort(null);
    return out;
  }
}
