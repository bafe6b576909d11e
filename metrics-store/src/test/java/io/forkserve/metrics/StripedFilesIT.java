package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.PythonExposition;
import io.forkserve.testsupport.SampleKeys;
import io.forkserve.testsupport.Tools;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stripe files ({@code TYPE_PIDsN.db}) of two processes' IDs, written in format v1: Debian's
 * python3-prometheus-client MultiProcessCollector sums them with the main files, to the totals
 * the test computes, and our DirectoryScraper gives the same samples. Once with additions forced
 * into every stripe, once with the cells that many threads wrote themselves.
 */
class StripedFilesIT {
  @TempDir Path dir;

  @Test
  void pythonSumsStripeFilesWithTheMainFiles() throws Exception {
    Tools.require("python3-prometheus-client");
    int extra = StripedSeries.STRIPES - 1;
    for (long pid : new long[] {9_000_011, 9_000_012}) {
      try (MetricsRegistry r =
          MetricsRegistry.builder(dir).pid(pid).formatVersion(FormatVersion.V1).open()) {
        Histogram.Child h = Histogram.builder("lat").help("L.").labelNames("r").buckets(1)
            .register(r).labels("a");
        Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
            .labels("a");
        Summary.Child s = Summary.builder("size").help("S.").labelNames("r").register(r)
            .labels("a");
        h.observe(0.25);
        c.inc();
        s.observe(2);
        for (int stripe = 1; stripe <= extra; stripe++) {
          Stripes.add(h, stripe, 0, 4.0); // sum
          Stripes.add(h, stripe, 2, 1.0); // le=+Inf
          Stripes.add(c, stripe, 0, 100);
          Stripes.add(s, stripe, 0, 1.0);
          Stripes.add(s, stripe, 1, 8.0);
        }
        h.observe(0.5); // once striped: lands in whichever stripe this thread's probe picks
      }
    }
    Map<String, Double> expected = new TreeMap<>();
    expected.put(SampleKeys.of("jobs_total", "r", "a"), 2 * (1 + 100.0 * extra));
    expected.put(SampleKeys.of("lat_bucket", "le", "1.0", "r", "a"), 2 * 2.0);
    expected.put(SampleKeys.of("lat_bucket", "le", "+Inf", "r", "a"), 2 * (2.0 + extra));
    expected.put(SampleKeys.of("lat_count", "r", "a"), 2 * (2.0 + extra));
    expected.put(SampleKeys.of("lat_sum", "r", "a"), 2 * (0.75 + 4.0 * extra));
    expected.put(SampleKeys.of("size_count", "r", "a"), 2 * (1.0 + extra));
    expected.put(SampleKeys.of("size_sum", "r", "a"), 2 * (2 + 8.0 * extra));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(6 * (1 + extra), files.count());
    }

    assertPythonAndWeRead(expected);
  }

  @Test
  void pythonSumsTheCellsThatManyThreadsWrote() throws Exception {
    Tools.require("python3-prometheus-client");
    int threads = 2 * StripedSeries.STRIPES + 1; // more than the owned cells: the shared one too
    int perThread = 5_000;
    try (MetricsRegistry r =
        MetricsRegistry.builder(dir).pid(9_000_013).formatVersion(FormatVersion.V1).open()) {
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      Histogram.Child h = Histogram.builder("lat").help("L.").labelNames("r").buckets(1)
          .register(r).labels("a");
      AliveThreads.incAndObserve(threads, perThread, c, h, 0.5, () -> { });
    }
    double n = (double) threads * perThread;
    Map<String, Double> expected = jobsAndLatency(n);
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.anyMatch(
          f -> f.getFileName().toString().equals("counter_9000013s" + StripedSeries.STRIPES
              + ".db")), "the shared cell's file is missing");
    }
    assertPythonAndWeRead(expected);
  }

  /** Samples of a counter {@code jobs} and a histogram {@code lat} (bucket 1), n times 0.5. */
  static Map<String, Double> jobsAndLatency(double n) {
    Map<String, Double> expected = new TreeMap<>();
    expected.put(SampleKeys.of("jobs_total", "r", "a"), n);
    expected.put(SampleKeys.of("lat_bucket", "le", "1.0", "r", "a"), n);
    expected.put(SampleKeys.of("lat_bucket", "le", "+Inf", "r", "a"), n);
    expected.put(SampleKeys.of("lat_count", "r", "a"), n);
    expected.put(SampleKeys.of("lat_sum", "r", "a"), n * 0.5);
    return expected;
  }

  private void assertPythonAndWeRead(Map<String, Double> expected) throws Exception {
    String python = PythonExposition.scrape(dir);
    assertEquals(expected, ExpositionText.samples(python), python);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exposition.write(DirectoryScraper.scrapeOnce(dir), ExpositionFormat.TEXT, out);
    Map<String, Double> ours = ExpositionText.samples(out.toString(StandardCharsets.UTF_8));
    ours.keySet().removeIf(k -> k.startsWith("forkserve_metrics_"));
    assertEquals(expected, ours);
  }
}
