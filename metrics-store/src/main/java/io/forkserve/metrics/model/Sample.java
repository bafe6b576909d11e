package io.forkserve.metrics.model;

import java.util.Objects;

/** Immutable sample: a name, labels, a value and, for OpenMetrics, maybe an exemplar. */
public final class Sample {
  private final String name;
  private final Labels labels;
  private final double value;
  private final Exemplar exemplar;

  /** A sample; its name is checked against its family by {@link MetricFamilySnapshot}. */
  public Sample(String name, Labels labels, double value) {
    this(name, labels, value, null);
  }

  /** A sample with an exemplar (null: none). */
  public Sample(String name, Labels labels, double value, Exemplar exemplar) {
    this.name = Objects.requireNonNull(name, "name");
    this.labels = Objects.requireNonNull(labels, "labels");
    this.value = value;
    this.exemplar = exemplar;
  }

  /** This sample with {@code exemplar} attached. */
  public Sample withExemplar(Exemplar exemplar) {
    return new Sample(name, labels, value, exemplar);
  }

  /** The exemplar, or null. */
  public Exemplar exemplar() {
    return exemplar;
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
        && Double.compare(value, s.value) == 0
        && Objects.equals(exemplar, s.exemplar);
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
