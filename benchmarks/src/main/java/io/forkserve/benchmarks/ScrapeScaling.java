package io.forkserve.benchmarks;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The two steps of {@code benchmarks/scaling.sh}'s scrape rows, each run in its own JVM so that
 * the scraping JVM's resident memory is the scrape's alone.
 *
 * <ul>
 *   <li>{@code write DIR SERIES FILES}: FILES registries (file IDs 1..FILES) write SERIES
 *       distinct labelled counter series in all, split evenly, each incremented once.
 *   <li>{@code scrape DIR [SECONDS [merge]]}: a reused scraper merges DIR and writes the text
 *       exposition to a discarding stream, warm (at least three scrapes and one second first),
 *       for about SECONDS (at least five scrapes); with {@code merge} it only merges (read,
 *       merge, snapshot) and counts the samples as lines. Prints the median and p90 of wall and
 *       CPU time per scrape, the lines, and the process's peak resident memory (VmHWM).
 * </ul>
 */
public final class ScrapeScaling {
  private ScrapeScaling() {}

  public static void main(String[] args) throws IOException {
    if (args.length >= 4 && args[0].equals("write")) {
      write(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
    } else if (args.length >= 2 && args[0].equals("scrape")) {
      scrape(Path.of(args[1]), args.length > 2 ? Double.parseDouble(args[2]) : 3,
          args.length > 3 && args[3].equals("merge"));
    } else {
      System.err.println(
          "usage: ScrapeScaling write DIR SERIES FILES | scrape DIR [SECONDS [merge]]");
      System.exit(2);
    }
  }

  private static void write(Path dir, int series, int files) throws IOException {
    Files.createDirectories(dir);
    int per = (series + files - 1) / files;
    for (int f = 0, next = 0; f < files && next < series; f++) {
      int end = Math.min(series, next + per);
      try (MetricsRegistry registry =
          MetricsRegistry.builder(dir).pid(f + 1).maxSeriesPerMetric(per + 16).open()) {
        Counter c = Counter.builder("scale_requests").help("Requests by series.")
            .labelNames("series", "method").register(registry);
        for (int i = next; i < end; i++) {
          c.labels("/api/v1/resource/" + i, i % 2 == 0 ? "GET" : "POST").inc(1 + i % 7);
        }
      }
      next = end;
    }
  }

  private static void scrape(Path dir, double seconds, boolean mergeOnly) throws IOException {
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      scrape(scraper, seconds, mergeOnly);
    }
  }

  private static void scrape(DirectoryScraper scraper, double seconds, boolean mergeOnly)
      throws IOException {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    LineCounter out = new LineCounter();
    long warm = System.nanoTime();
    for (int i = 0; i < 3 || System.nanoTime() - warm < 1e9; i++) { // JIT-compiled before timing
      once(scraper, out, mergeOnly);
    }
    double[] wall = new double[1024];
    double[] cpu = new double[1024];
    int n = 0;
    long start = System.nanoTime();
    while (n < wall.length && (n < 5 || System.nanoTime() - start < seconds * 1e9)) {
      out.lines = 0;
      long c0 = mx.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      once(scraper, out, mergeOnly);
      wall[n] = (System.nanoTime() - t0) / 1e6;
      cpu[n] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
      n++;
    }
    System.out.printf(Locale.ROOT,
        "wall_ms=%.3f wall_p90_ms=%.3f cpu_ms=%.3f cpu_p90_ms=%.3f scrapes=%d lines=%d"
            + " rss_peak_mb=%d%n",
        pct(wall, n, 0.5), pct(wall, n, 0.9), pct(cpu, n, 0.5), pct(cpu, n, 0.9), n, out.lines,
        peakRssMb());
  }

  /** One scrape: merged and written, or with {@code mergeOnly} merged and its samples counted. */
  private static void once(DirectoryScraper scraper, LineCounter out, boolean mergeOnly)
      throws IOException {
    MetricSnapshots snapshots = scraper.scrape();
    if (!mergeOnly) {
      Exposition.write(snapshots, ExpositionFormat.TEXT, out);
      return;
    }
    for (MetricFamilySnapshot f : snapshots.families()) {
      out.lines += f.samples().size();
    }
  }

  private static double pct(double[] v, int n, double p) {
    double[] s = Arrays.copyOf(v, n);
    Arrays.sort(s);
    return s[Math.min(n - 1, (int) Math.floor(p * n))];
  }

  private static long peakRssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }

  /** Discards what it is given, counting lines. */
  private static final class LineCounter extends OutputStream {
    long lines;

    @Override
    public void write(int b) {
      lines += b == '\n' ? 1 : 0;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      for (int i = off; i < off + len; i++) {
        lines += b[i] == '\n' ? 1 : 0;
      }
    }
  }
}
