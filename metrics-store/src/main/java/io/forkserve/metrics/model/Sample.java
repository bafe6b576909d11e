package io.forkserve.metrics.model;

import java.util.Objects;

/** Immutable sample: a name, labels and a value. */
public final class Sample {
  private final String name;
  private final Labels labels;
  private final double value;

  /** A sample; its name is checked against its family by {@link MetricFamilySnapshot}. */
  public Sample(String name, Labels labels, double value) {
    this.name = Objects.requireNonNull(name, "name");
    this.labels = Objects.requireNonNull(labels, "labels");
    this.value = value;
  }

  /** The sample name, e.g. {@code jobs_total} or {@code latency_seconds_bucket}. */
  public String name() {
    return name;
  }

  /** The labels, sorted by name. */
  public Labels labels() {
    return labels;
  }

  /** The value. */
  public double value() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Sample)) {
      return false;
    }
    Sample s = (Sample) o;
    return name.equals(s.name)
        && labels.equals(s.labels)
        && Double.compare(value, s.value) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, labels, value);
  }

  @Override
  public String toString() {
    return name + labels.exposition() + " " + value;
  }
}
