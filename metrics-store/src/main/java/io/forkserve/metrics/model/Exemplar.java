package io.forkserve.metrics.model;

import java.util.Objects;

/**
 * Immutable OpenMetrics exemplar of a counter or histogram bucket sample: labels such as {@code
 * trace_id} and {@code span_id}, the observed value and when it was observed (Unix seconds).
 */
public final class Exemplar {
  private final Labels labels;
  private final double value;
  private final double timestamp;

  /** An exemplar. */
  public Exemplar(Labels labels, double value, double timestamp) {
    this.labels = Objects.requireNonNull(labels, "labels");
    this.value = value;
    this.timestamp = timestamp;
  }

  /** The labels, sorted by name. */
  public Labels labels() {
    return labels;
  }

  /** The observed value. */
  public double value() {
    return value;
  }

  /** Unix seconds of the observation. */
  public double timestamp() {
    return timestamp;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Exemplar
        && labels.equals(((Exemplar) o).labels)
        && Double.compare(value, ((Exemplar) o).value) == 0
        && Double.compare(timestamp, ((Exemplar) o).timestamp) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(labels, value, timestamp);
  }

  @Override
  public String toString() {
    return labels.exposition() + " " + value + " " + timestamp;
  }
}
