package io.forkserve.metrics.archive;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.model.MetricType;
import java.time.Instant;
import java.util.List;

/**
 * Everything an archive holds, read in one transaction, for {@code bin/metrics inspect}.
 * Immutable.
 *
 * @param folds the folds committed, oldest first
 * @param series the archived entries, in key order
 * @param mapSizeBytes LMDB's current map size
 */
public record ArchiveContents(List<Fold> folds, List<Series> series, long mapSizeBytes) {

  /** Copies the lists. */
  public ArchiveContents {
    folds = List.copyOf(folds);
    series = List.copyOf(series);
  }

  /** An empty archive (or none at all). */
  public static ArchiveContents empty() {
    return new ArchiveContents(List.of(), List.of(), 0);
  }

  /**
   * One committed fold.
   *
   * @param sequence 1 for the first fold, then counting up
   * @param pid the folded process
   * @param at when the fold committed (the archive's clock)
   * @param folded the files whose values it added
   * @param deleted the files it deleted without adding (live gauges, already folded)
   */
  public record Fold(long sequence, String pid, Instant at, List<String> folded,
      List<String> deleted) {

    /** Copies the lists. */
    public Fold {
      folded = List.copyOf(folded);
      deleted = List.copyOf(deleted);
    }
  }

  /**
   * One archived entry, as a metric file would hold it.
   *
   * @param type the metric type
   * @param mode the gauge merge rule (a non-live mode), null for other types
   * @param pid the folded process for {@code all} gauges, else empty
   * @param key the entry key JSON, {@code [metric, sample, {labels}, help]}
   * @param value the folded value (sum, min, max or most recent)
   * @param timestamp the Unix time of a mostrecent gauge's value, else 0
   */
  public record Series(MetricType type, GaugeMode mode, String pid, String key, double value,
      double timestamp) {}
}
