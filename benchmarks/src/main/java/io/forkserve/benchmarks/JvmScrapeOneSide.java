package io.forkserve.benchmarks;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One side of {@link JvmScrapeInterleaved} (8 workers' directory with or without their JVM
 * metrics) scraped alone for a while, for a profiler: run it once per side under JFR and compare
 * the samples per scrape. Prints the scrapes made and the mean wall time of one.
 *
 * <pre>
 * java -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints \
 *     -XX:StartFlightRecording=filename=on.jfr,settings=profile \
 *     -cp benchmarks/target/benchmarks.jar io.forkserve.benchmarks.JvmScrapeOneSide \
 *     SERIES_PER_WORKER on|off SECONDS
 * </pre>
 */
public final class JvmScrapeOneSide {
  private JvmScrapeOneSide() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3 || !args[1].matches("on|off")) {
      System.err.println("usage: JvmScrapeOneSide SERIES_PER_WORKER on|off SECONDS");
      System.exit(2);
    }
    int series = Integer.parseInt(args[0]);
    long seconds = Long.parseLong(args[2]);
    List<MetricsRegistry> keep = new ArrayList<>();
    Path dir = BenchDirs.create("jvm-scrape-" + args[1]);
    try {
      JvmScrapeBenchmark.write(dir, series, args[1].equals("on"), keep);
      try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 << 20);
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long scrapes = 0;
        while (System.nanoTime() < end) {
          out.reset();
          Exposition.write(scraper.scrape(), ExpositionFormat.TEXT, out);
          scrapes++;
        }
        System.out.printf(Locale.ROOT, "jvm %s: %d scrapes, %.3f ms each, %d bytes%n", args[1],
            scrapes, (System.nanoTime() - start) / 1e6 / scrapes, out.size());
      }
    } finally {
      keep.forEach(MetricsRegistry::close);
      BenchDirs.delete(dir);
    }
  }
}
