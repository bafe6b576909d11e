package io.forkserve.benchmarks;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@link JvmScrapeBenchmark}'s two directories (8 workers without and with their JVM metrics)
 * scraped in turn, one scrape of each per step, timing each scrape by the CPU time of this
 * thread: on a machine shared with other work, both sides see the same load at the same moment,
 * and time spent waiting for a core is not counted. Prints the median and p90 of each side and
 * the ratio of the medians.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.forkserve.benchmarks.JvmScrapeInterleaved \
 *     [SERIES_PER_WORKER=2000] [STEPS=400]
 * </pre>
 */
public final class JvmScrapeInterleaved {
  private JvmScrapeInterleaved() {}

  public static void main(String[] args) throws IOException {
    int series = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    List<MetricsRegistry> keep = new ArrayList<>();
    Path off = BenchDirs.create("jvm-scrape-off");
    Path on = BenchDirs.create("jvm-scrape-on");
    try {
      JvmScrapeBenchmark.write(off, series, false, keep);
      JvmScrapeBenchmark.write(on, series, true, keep);
      try (DirectoryScraper offScraper = new DirectoryScraper(off);
          DirectoryScraper onScraper = new DirectoryScraper(on)) {
        DirectoryScraper[] scrapers = {offScraper, onScraper};
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 << 20);
        long[][] nanos = new long[2][steps];
        int[] lines = new int[2];
        for (int step = -steps / 4; step < steps; step++) { // the first quarter warms up
          for (int side = 0; side < 2; side++) {
            int s = (step & 1) == 0 ? side : 1 - side; // alternate which side goes first
            out.reset();
            long t0 = threads.getCurrentThreadCpuTime();
            Exposition.write(scrapers[s].scrape(), ExpositionFormat.TEXT, out);
            long t1 = threads.getCurrentThreadCpuTime();
            if (step >= 0) {
              nanos[s][step] = t1 - t0;
            }
            lines[s] = out.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n").length;
          }
        }
        double offMedian = percentile(nanos[0], 0.5);
        double onMedian = percentile(nanos[1], 0.5);
        System.out.printf(
            Locale.ROOT,
            "%d workers x %d series: scrape CPU median (p90), %d steps%n"
                + "  without JVM metrics: %.2f ms (%.2f ms), %d lines%n"
                + "  with JVM metrics:    %.2f ms (%.2f ms), %d lines%n"
                + "  with/without: %.3f%n",
            8,
            series,
            steps,
            offMedian / 1e6,
            percentile(nanos[0], 0.9) / 1e6,
            lines[0],
            onMedian / 1e6,
            percentile(nanos[1], 0.9) / 1e6,
            lines[1],
            onMedian / offMedian);
      }
    } finally {
      keep.forEach(MetricsRegistry::close);
      BenchDirs.delete(off);
      BenchDirs.delete(on);
    }
  }

  private static double percentile(long[] values, double q) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
}
