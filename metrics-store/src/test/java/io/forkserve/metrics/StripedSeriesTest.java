package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.testsupport.MutableClock;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.SampleKeys;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StripedSeriesTest {
  private static final long PID = 4242;

  @TempDir Path dir;

  @Test
  void stripeCount_isAPowerOfTwoAtLeastTheCores() {
    assertEquals(4, StripedSeries.stripes(1));
    assertEquals(4, StripedSeries.stripes(2));
    assertEquals(4, StripedSeries.stripes(4));
    assertEquals(8, StripedSeries.stripes(5));
    assertEquals(16, StripedSeries.stripes(64));
  }

  @Test
  void forcedStripes_goToStripeFilesAndMergeToExactTotals() throws Exception {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).open()) {
      Histogram h = Histogram.builder("lat").help("L.").labelNames("r").buckets(1, 2)
          .register(r);
      Counter c = Counter.builder("jobs").help("J.").labelNames("r").register(r);
      Summary s = Summary.builder("size").help("S.").labelNames("r").register(r);
      Histogram.Child hc = h.labels("a");
      Counter.Child cc = c.labels("a");
      Summary.Child sc = s.labels("a");
      hc.observe(0.5);
      cc.inc(2);
      sc.observe(3);
      for (int stripe = 1; stripe < StripedSeries.STRIPES; stripe++) {
        Stripes.add(hc, stripe, 0, 1.5); // sum
        Stripes.add(hc, stripe, 2, 1.0); // bucket le=2
        Stripes.add(cc, stripe, 0, 10);
        Stripes.add(sc, stripe, 0, 1.0); // count
        Stripes.add(sc, stripe, 1, 7.0); // sum
      }
      hc.observe(5); // after striping: lands in some stripe
      cc.inc();
      int extra = StripedSeries.STRIPES - 1;
      assertEquals(StripedSeries.STRIPES, Stripes.count(hc));
      assertEquals(3 + 10.0 * extra, cc.get());
      assertEquals(
          Stream.of("counter", "histogram", "summary")
              .flatMap(t -> Stream.concat(Stream.of(t + "_" + PID + ".db"),
                  java.util.stream.IntStream.range(1, StripedSeries.STRIPES)
                      .mapToObj(i -> t + "_" + PID + "s" + i + ".db")))
              .sorted()
              .collect(Collectors.toList()),
          files());
      Map<String, Double> expected = Map.of(
          SampleKeys.of("jobs_total", "r", "a"), 3 + 10.0 * extra,
          SampleKeys.of("lat_bucket", "le", "1.0", "r", "a"), 1.0,
          SampleKeys.of("lat_bucket", "le", "2.0", "r", "a"), 1.0 + extra,
          SampleKeys.of("lat_bucket", "le", "+Inf", "r", "a"), 2.0 + extra,
          SampleKeys.of("lat_count", "r", "a"), 2.0 + extra,
          SampleKeys.of("lat_sum", "r", "a"), 5.5 + 1.5 * extra,
          SampleKeys.of("size_count", "r", "a"), 1.0 + extra,
          SampleKeys.of("size_sum", "r", "a"), 3 + 7.0 * extra);
      assertEquals(expected, ours());
    }
  }

  @Test
  void threadsHammeringOneChild_stripeAndKeepExactTotals() throws Exception {
    int threads = 4;
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).open()) {
      Histogram.Child h = Histogram.builder("lat").help("L.").labelNames("r").buckets(1)
          .register(r).labels("a");
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong observed = new AtomicLong();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread w = new Thread(() -> {
          long n = 0;
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          // Whole rounds of 1000, so stopping mid-way still leaves exact counts.
          do {
            for (int i = 0; i < 1000; i++) {
              h.observe(0.5);
              c.inc();
            }
            n += 1000;
          } while (!stop.get());
          observed.addAndGet(n);
        });
        w.start();
        workers.add(w);
      }
      start.countDown();
      long deadline = System.nanoTime() + 20_000_000_000L;
      while ((Stripes.count(h) < 2 || Stripes.count(c) < 2) && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      stop.set(true);
      for (Thread w : workers) {
        w.join();
      }
      assertTrue(Stripes.count(h) >= 2 && Stripes.count(c) >= 2,
          "4 threads on one child never contended in 20 s");
      double n = observed.get();
      assertEquals(n, c.get());
      assertEquals(Map.of(
          SampleKeys.of("jobs_total", "r", "a"), n,
          SampleKeys.of("lat_bucket", "le", "1.0", "r", "a"), n,
          SampleKeys.of("lat_bucket", "le", "+Inf", "r", "a"), n,
          SampleKeys.of("lat_count", "r", "a"), n,
          SampleKeys.of("lat_sum", "r", "a"), n * 0.5), ours());
      assertTrue(files().stream().anyMatch(f -> f.matches("histogram_" + PID + "s[0-9]+\\.db")),
          files().toString());
    }
  }

  @Test
  void aSecondThread_writesItsOwnStripeFile_theFirstKeepsTheMainFile() throws Exception {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).open()) {
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      c.inc(5);
      Thread other = new Thread(() -> c.inc(7));
      other.start();
      other.join();
      assertEquals(Thread.currentThread(), Stripes.owner(c, 0));
      assertEquals(2, Stripes.count(c));
      assertEquals(12.0, c.get());
      List<String> stripeFiles = files().stream()
          .filter(f -> f.matches("counter_" + PID + "s[0-9]+\\.db")).collect(Collectors.toList());
      assertEquals(1, stripeFiles.size(), files().toString());
      String key = SampleKeys.of("jobs_total", "r", "a");
      assertEquals(Map.of(key, 5.0), fileValues("counter_" + PID + ".db"));
      assertEquals(Map.of(key, 7.0), fileValues(stripeFiles.get(0)));
      assertEquals(Map.of(key, 12.0), ours());
    }
  }

  @Test
  void moreThreadsThanCells_shareTheLastCellAndKeepExactTotals() throws Exception {
    int threads = 2 * StripedSeries.STRIPES + 1;
    int perThread = 20_000;
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).open()) {
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      Histogram.Child h = Histogram.builder("lat").help("L.").labelNames("r").buckets(1)
          .register(r).labels("a");
      AliveThreads.incAndObserve(threads, perThread, c, h, 2.0, () -> {
        double n = (double) threads * perThread;
        assertEquals(n, c.get());
        assertEquals(n * 2.0, h.sum());
        // At most STRIPES threads own a cell of the child, so the others used the shared cell.
        assertTrue(files().contains("counter_" + PID + "s" + StripedSeries.STRIPES + ".db"),
            files().toString());
        assertEquals(Map.of(
            SampleKeys.of("jobs_total", "r", "a"), n,
            SampleKeys.of("lat_bucket", "le", "1.0", "r", "a"), 0.0,
            SampleKeys.of("lat_bucket", "le", "+Inf", "r", "a"), n,
            SampleKeys.of("lat_count", "r", "a"), n,
            SampleKeys.of("lat_sum", "r", "a"), n * 2.0), ours());
      });
    }
  }

  @Test
  void aTerminatedThreadsCell_isTakenOverWithItsValue() throws Exception {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).open()) {
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      long total = 0;
      // Short-lived threads add once each until every owned cell has a (terminated) owner.
      for (int t = 0; t < 1_000 && !allCellsOwned(c); t++) {
        Thread once = new Thread(() -> c.inc(3));
        once.start();
        once.join();
        total += 3;
      }
      assertTrue(allCellsOwned(c), "1,000 threads did not claim every cell");
      AtomicLong adds = new AtomicLong();
      Thread next = new Thread(() -> {
        // Lands in the shared cell until it takes over a dead thread's cell (1 check in 64).
        for (int i = 0; i < 1_000_000 && !ownsACell(c, Thread.currentThread()); i++) {
          c.inc();
          adds.incrementAndGet();
        }
        c.inc(1000);
      });
      next.start();
      next.join();
      total += adds.get() + 1000;
      assertTrue(adds.get() < 1_000_000, "never took over a terminated thread's cell");
      assertEquals((double) total, c.get());
      assertEquals(Map.of(SampleKeys.of("jobs_total", "r", "a"), (double) total), ours());
    }
  }

  @Test
  void aStripeThatCouldNotBeCreated_isCarriedIntoItsFileOnceRetried() throws Exception {
    MutableClock clock = new MutableClock();
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).clock(clock).open()) {
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      c.inc(5); // this thread owns the main file's cell
      List<Path> blocked = blockStripeFiles("counter");
      ExecutorService other = Executors.newSingleThreadExecutor();
      try {
        other.submit(() -> c.inc(7)).get(); // its stripe file cannot be created
        Stripes.add(c, StripedSeries.STRIPES, 0, 11); // nor the shared one's
        String key = SampleKeys.of("jobs_total", "r", "a");
        assertEquals(2, Stripes.unwritten(c));
        assertEquals(23.0, c.get());
        assertEquals(Map.of(key, 5.0), ours());
        assertEquals(2, r.unwritableSeries());
        for (Path p : blocked) {
          Files.delete(p); // space is back
        }
        other.submit(() -> c.inc(1)).get(); // less than a second later: no retry yet
        assertEquals(2, Stripes.unwritten(c));
        assertEquals(Map.of(key, 5.0), ours());
        clock.setUnixSeconds(StripedSeries.RETRY_MILLIS / 1000.0);
        c.inc(100); // the main file's owner never retries
        assertEquals(2, Stripes.unwritten(c));
        other.submit(() -> c.inc(2)).get();
        assertEquals(0, Stripes.unwritten(c));
        assertEquals(126.0, c.get());
        assertEquals(Map.of(key, 126.0), ours());
        other.submit(() -> c.inc(3)).get();
        Stripes.add(c, StripedSeries.STRIPES, 0, 4);
        assertEquals(133.0, c.get());
        assertEquals(Map.of(key, 133.0), ours());
        assertEquals(2, r.unwritableSeries(), "a retry is not a new unwritable series");
      } finally {
        other.shutdown();
      }
    }
  }

  @Test
  void threadsAddingWhileUnwrittenStripesAreCarriedOver_loseAndDoubleNothing() throws Exception {
    int threads = 2 * StripedSeries.STRIPES + 1;
    MutableClock clock = new MutableClock();
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).clock(clock).open()) {
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      Histogram.Child h = Histogram.builder("lat").help("L.").labelNames("r").buckets(1)
          .register(r).labels("a");
      c.inc(0);
      h.observe(0);
      List<Path> blocked = blockStripeFiles("counter");
      blocked.addAll(blockStripeFiles("histogram"));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong observed = new AtomicLong();
      CountDownLatch started = new CountDownLatch(threads);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread w = new Thread(() -> {
          long n = 0;
          started.countDown();
          do { // whole rounds, so stopping mid-way still leaves exact counts
            for (int i = 0; i < 100; i++) {
              c.inc();
              h.observe(2);
            }
            n += 100;
          } while (!stop.get());
          observed.addAndGet(n);
        });
        w.start();
        workers.add(w);
      }
      started.await();
      long deadline = System.nanoTime() + 20_000_000_000L;
      while ((Stripes.unwritten(c) < 2 || Stripes.unwritten(h) < 2)
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertTrue(Stripes.unwritten(c) >= 2 && Stripes.unwritten(h) >= 2,
          "no thread met an unwritable stripe in 20 s");
      for (Path p : blocked) {
        Files.delete(p);
      }
      clock.setUnixSeconds(StripedSeries.RETRY_MILLIS / 1000.0);
      while ((Stripes.unwritten(c) > 0 || Stripes.unwritten(h) > 0)
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      stop.set(true);
      for (Thread w : workers) {
        w.join();
      }
      assertEquals(0, Stripes.unwritten(c) + Stripes.unwritten(h), "not carried over in 20 s");
      double n = observed.get();
      assertEquals(n, c.get());
      assertEquals(2 * n, h.sum());
      assertEquals(Map.of(
          SampleKeys.of("jobs_total", "r", "a"), n,
          SampleKeys.of("lat_bucket", "le", "1.0", "r", "a"), 1.0,
          SampleKeys.of("lat_bucket", "le", "+Inf", "r", "a"), n + 1,
          SampleKeys.of("lat_count", "r", "a"), n + 1,
          SampleKeys.of("lat_sum", "r", "a"), 2 * n), ours());
    }
  }

  /** Directories where the stripe files of {@code type} would go: creating one fails. */
  private List<Path> blockStripeFiles(String type) throws Exception {
    List<Path> blocked = new ArrayList<>();
    for (int i = 1; i <= StripedSeries.STRIPES; i++) {
      blocked.add(Files.createDirectory(dir.resolve(type + "_" + PID + "s" + i + ".db")));
    }
    return blocked;
  }

  private static boolean allCellsOwned(Object child) {
    for (int i = 0; i < StripedSeries.STRIPES; i++) {
      if (Stripes.owner(child, i) == null) {
        return false;
      }
    }
    return true;
  }

  private static boolean ownsACell(Object child, Thread thread) {
    for (int i = 0; i < StripedSeries.STRIPES; i++) {
      if (Stripes.owner(child, i) == thread) {
        return true;
      }
    }
    return false;
  }

  /** The samples of one file of the directory alone, read by our scraper from a copy. */
  private Map<String, Double> fileValues(String file) throws Exception {
    Path alone = Files.createTempDirectory("striped-series-one-file");
    try {
      Files.copy(dir.resolve(file), alone.resolve(file));
      return samples(alone);
    } finally {
      Files.delete(alone.resolve(file));
      Files.delete(alone);
    }
  }

  private List<String> files() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private Map<String, Double> ours() throws Exception {
    return samples(dir);
  }

  private static Map<String, Double> samples(Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exposition.write(DirectoryScraper.scrapeOnce(dir), ExpositionFormat.TEXT, out);
    Map<String, Double> samples = ExpositionText.samples(out.toString(StandardCharsets.UTF_8));
    samples.keySet().removeIf(k -> k.startsWith("forkserve_metrics_"));
    return samples;
  }
}
