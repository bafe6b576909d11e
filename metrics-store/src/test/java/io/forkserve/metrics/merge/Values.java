package io.forkserve.metrics.merge;

import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.Sample;
import java.util.Map;
import java.util.TreeMap;

/** Looks samples up in snapshots, by sample name and rendered labels. */
final class Values {
  private Values() {}

  /** Every sample as {@code name{labels}} to value, self-metrics left out. */
  static Map<String, Double> of(MetricSnapshots snapshots) {
    Map<String, Double> out = new TreeMap<>();
    for (MetricFamilySnapshot f : snapshots.families()) {
      if (f.name().startsWith("forkserve_metrics_")) {
        continue;
      }
      for (Sample s : f.samples()) {
        out.put(s.name() + s.labels().exposition(), s.value());
      }
    }
    return out;
  }

  /** The self-metric value {@code name{reason="..."}}. */
  static double self(MetricSnapshots snapshots, String sample, SkipReason reason) {
    for (MetricFamilySnapshot f : snapshots.families()) {
      for (Sample s : f.samples()) {
        if (s.name().equals(sample) && reason.label().equals(s.labels().get("reason"))) {
          return s.value();
        }
      }
    }
    throw new AssertionError("no " + sample + " for " + reason);
  }

  static double skippedNow(MetricSnapshots snapshots, SkipReason reason) {
    return self(snapshots, DirectoryScraper.SKIPPED_FILES, reason);
  }

  static double skipsTotal(MetricSnapshots snapshots, SkipReason reason) {
    return self(snapshots, DirectoryScraper.FILE_SKIPS + "_total", reason);
  }
}
