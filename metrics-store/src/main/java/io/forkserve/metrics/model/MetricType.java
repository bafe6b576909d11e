package io.forkserve.metrics.model;

import java.util.Locale;

/**
 * The metric types of merged families. The first four are also file types ({@code
 * counter_ID.db}, ...); {@link #INFO} and {@link #STATESET} are stored in gauge files and told
 * apart by their keys (see {@code docs/files-and-merge.md}).
 */
public enum MetricType {
  COUNTER,
  GAUGE,
  HISTOGRAM,
  SUMMARY,
  /** OpenMetrics info: samples {@code NAME_info} with value 1; a gauge in text 0.0.4. */
  INFO,
  /** OpenMetrics state set: a label named as the family, 0 or 1; a gauge in text 0.0.4. */
  STATESET;

  private final String token = name().toLowerCase(Locale.ROOT);

  /** True for the types that name a file ({@code counter}, {@code gauge}, ...). */
  public boolean isFileType() {
    return this != INFO && this != STATESET;
  }

  /** The type as written on a {@code # TYPE} line ({@code counter}). */
  public String token() {
    return token;
  }
}
