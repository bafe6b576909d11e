package io.forkserve.metrics.archive;

import static io.forkserve.metrics.archive.ArchiveTesting.assertRowsClose;
import static io.forkserve.metrics.archive.ArchiveTesting.rows;
import static io.forkserve.metrics.archive.ArchiveTesting.scrapeText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.testsupport.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short-lived worker processes write and exit, each folded as soon as it is reaped, while one
 * scraper thread here and one scraper process scrape without pause: no monotonic row ever goes
 * down or disappears, the directory stays bounded, and the end state is the test's own count.
 */
class ArchiveStressIT {
  private static final int WORKERS = Integer.getInteger("archive.stress.workers", 40);
  private static final int CONCURRENT = 3;
  private static final int ITERATIONS = 60;
  private static final int PAUSE_MICROS = 1000;
  /** counter, histogram, summary, gauge_livesum, gauge_max, gauge_all. */
  private static final int FILE_KINDS = 6;

  @TempDir Path dir;
  @TempDir Path logs;

  @Test
  void restartsUnderScrapesInTwoProcesses_neverGoBackwardsAndStayBounded() throws Exception {
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      Path scraperLog = logs.resolve("scraper.log");
      Process other = Processes.startJava(scraperLog, ScraperMain.class, dir.toString());
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger maxEntries = new AtomicInteger();
      AtomicReference<Throwable> scraperError = new AtomicReference<>();
      ScraperMain.MonotonicCheck check = new ScraperMain.MonotonicCheck();
      Thread scraper = new Thread(() -> {
        try (DirectoryScraper s = new DirectoryScraper(dir, List.of(archive.newMergeSource()))) {
          while (!stop.get()) {
            check.accept(rows(ArchiveTesting.text(s.scrape())));
            maxEntries.accumulateAndGet(entries(), Math::max);
          }
        } catch (Throwable t) {
          scraperError.set(t);
        }
      });
      scraper.start();

      Map<Integer, Long> pids = runAndFoldWorkers(archive);

      stop.set(true);
      scraper.join(TimeUnit.SECONDS.toMillis(30));
      other.getOutputStream().close();
      assertEquals(
          0,
          Processes.await(other, scraperLog, Duration.ofSeconds(60)),
          Processes.read(scraperLog));
      assertEquals(null, scraperError.get());
      assertEquals(0, archive.resets(), "a sound archive was replaced: " + archive.lastDamage());
      assertEquals(0, check.count, check.violations.toString());
      assertTrue(check.scrapes > 10, "only " + check.scrapes + " scrapes in this process");
      Matcher m = Pattern.compile("scrapes=(\\d+) violations=(\\d+)")
          .matcher(Processes.read(scraperLog));
      assertTrue(m.find(), Processes.read(scraperLog));
      assertEquals("0", m.group(2), Processes.read(scraperLog));
      assertTrue(Integer.parseInt(m.group(1)) > 10, Processes.read(scraperLog));
      assertTrue(maxEntries.get() <= CONCURRENT * FILE_KINDS + 1,
          "directory held " + maxEntries.get() + " entries");
      assertEquals(List.of(), ArchiveTesting.dbFiles(dir));
      assertEquals(WORKERS, archive.contents().folds().size());
      assertRowsClose(Workload.expectedRows(pids, ITERATIONS),
          rows(scrapeText(dir, List.of(archive.newMergeSource()))));
    }
  }

  /** Runs the workers, {@link #CONCURRENT} at a time, folding each once it has exited. */
  private Map<Integer, Long> runAndFoldWorkers(MetricsArchive archive) throws Exception {
    Map<Integer, Long> pids = new ConcurrentHashMap<>();
    ExecutorService slots = Executors.newFixedThreadPool(CONCURRENT);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        int worker = w;
        done.add(slots.submit(() -> {
          Path log = logs.resolve("w" + worker + ".log");
          Process p = Processes.startJava(
              log, WorkerMain.class, dir.toString(), String.valueOf(worker),
              String.valueOf(ITERATIONS), String.valueOf(PAUSE_MICROS));
          assertEquals(0, Processes.await(p, log, Duration.ofSeconds(60)), Processes.read(log));
          archive.fold(p.pid());
          archive.checkStaleReaders();
          pids.put(worker, p.pid());
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      slots.shutdownNow();
    }
    return new java.util.TreeMap<>(pids);
  }

  private int entries() {
    try (Stream<Path> s = Files.list(dir)) {
      return (int) s.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
