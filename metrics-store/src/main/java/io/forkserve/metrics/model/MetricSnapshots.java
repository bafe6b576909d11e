package io.forkserve.metrics.model;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Immutable result of one merge: metric families in exposition order, names unique. */
public final class MetricSnapshots {
  private final List<MetricFamilySnapshot> families;

  /** Snapshots of {@code families}; rejects two families with the same name. */
  public MetricSnapshots(List<MetricFamilySnapshot> families) {
    this.families = List.copyOf(families);
    Set<String> names = new HashSet<>();
    for (MetricFamilySnapshot f : this.families) {
      if (!names.add(f.name())) {
        throw new IllegalArgumentException("duplicate metric family: " + f.name());
      }
    }
  }

  /** The families in exposition order. */
  public List<MetricFamilySnapshot> families() {
    return families;
  }

  /** Number of samples over all families. */
  public int sampleCount() {
    int n = 0;
    for (MetricFamilySnapshot f : families) {
      n += f.sampleCount();
    }
    return n;
  }
}
