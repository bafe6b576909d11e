package io.forkserve.metrics.merge;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.model.MetricType;

/**
 * Entries merged with a directory's files as if they came from one more file each: e.g. the
 * pre-merged values of dead workers. Called on the scraping thread, once per scrape.
 */
public interface MergeSource {
  /** Feeds this source's current entries to {@code sink}. Must not throw for one bad entry. */
  void forEachEntry(EntrySink sink);

  /** Receives entries. */
  @FunctionalInterface
  interface EntrySink {
    /**
     * One entry as a file would hold it: the file's type, its gauge mode (gauges only, else
     * null) and ID, the JSON key ({@code [metric, sample, {labels}, help]}), value and timestamp
     * (Unix seconds; 0 unless a mostrecent gauge was set). An entry whose key does not decode
     * for its type is dropped with a warning.
     */
    void accept(
        MetricType type, GaugeMode mode, String pid, String key, double value, double timestamp);
  }
}
