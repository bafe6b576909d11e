package io.forkserve.benchmarks;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Writes one scrape of a directory to stdout, so {@code compare.sh} can check that our output
 * and prometheus_client's agree on the benchmark directory. Usage: {@code ScrapeOnce DIR
 * [TEXT|OPENMETRICS]}.
 */
public final class ScrapeOnce {
  private ScrapeOnce() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: ScrapeOnce DIR [TEXT|OPENMETRICS]");
      System.exit(2);
    }
    ExpositionFormat format =
        args.length == 2 ? ExpositionFormat.valueOf(args[1]) : ExpositionFormat.TEXT;
    OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
    Exposition.write(DirectoryScraper.scrapeOnce(Path.of(args[0])), format, out);
    out.flush();
  }
}
