package io.forkserve.metrics.merge;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.model.MetricType;
import java.nio.file.attribute.FileTime;

/**
 * Entries merged with a directory's files as if they came from one more file each: e.g. the
 * pre-merged values of dead workers. Called on the scraping thread, once per scrape.
 */
public interface MergeSource {
  /** Feeds this source's current entries to {@code sink}. Must not throw for one bad entry. */
  void forEachEntry(EntrySink sink);

  /**
   * Starts this source's part of one scrape: called after the directory's files were read and
   * before any of them is merged. Until {@link #endScrape}, {@link #holds} and {@link
   * #forEachEntry} answer from one state of the source. Default: nothing.
   */
  default void beginScrape() {}

  /**
   * True when this source already holds the values of the file {@code fileName} that the scrape
   * read with this file key and last-modified time; the scraper then leaves that file out.
   * Default: false.
   */
  default boolean holds(String fileName, Object fileKey, FileTime lastModified) {
    return false;
  }

  /** Ends the scrape started by {@link #beginScrape}, also when it failed. Default: nothing. */
  default void endScrape() {}

  /** Receives entries. */
  @FunctionalInterface
  interface EntrySink {
    /**
     * One entry as a file would hold it: the file's type, its gauge mode (gauges only, null for
     * other types; a live mode merges as its plain twin) and ID, the JSON key ({@code [metric,
     * sample, {labels}, help]}), value and timestamp (Unix seconds; 0 unless a mostrecent gauge
     * was set). An entry whose key does not decode for its type is dropped with a warning.
     */
    void accept(
        MetricType type, GaugeMode mode, String pid, String key, double value, double timestamp);
  }
}
