package io.forkserve.metrics.merge;

import io.forkserve.metrics.model.MetricSnapshots;
import java.nio.file.Path;

/**
 * Merges every metric file in a multiprocess directory, as prometheus_client's
 * {@code MultiProcessCollector} does, incrementally across calls. Not thread-safe: one scraper
 * per scraping thread, or calls serialized by the caller.
 *
 * <p>API STUB: signatures are the contract.
 */
public final class DirectoryScraper {
  /** A scraper over {@code dir}; it never writes, folds or deletes anything there. */
  public DirectoryScraper(Path dir) {
    throw new UnsupportedOperationException("stub");
  }

  /** Reads the directory now and merges it; never throws for a bad file (it is skipped). */
  public MetricSnapshots scrape() {
    throw new UnsupportedOperationException("stub");
  }
}
