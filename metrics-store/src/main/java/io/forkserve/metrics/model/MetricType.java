package io.forkserve.metrics.model;

import java.util.Locale;

/** The metric types a multiprocess directory holds. */
public enum MetricType {
  COUNTER,
  GAUGE,
  HISTOGRAM,
  SUMMARY;

  /** The type as written on a {@code # TYPE} line ({@code counter}). */
  public String token() {
    return name().toLowerCase(Locale.ROOT);
  }
}
