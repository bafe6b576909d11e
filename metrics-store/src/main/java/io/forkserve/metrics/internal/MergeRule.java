package io.forkserve.metrics.internal;

import io.forkserve.metrics.model.MetricType;
import java.util.Locale;

/**
 * How the values of one series from several files combine, as prometheus_client's
 * MultiProcessCollector combines them: the one home of the merge arithmetic, used by the scrape
 * ({@code merge.SeriesTable}) and by the archive's fold. Counters, histograms and summaries sum;
 * a gauge follows its mode without the {@code live} prefix. Not user API: users name a gauge's
 * rule with {@code GaugeMode}.
 */
public enum MergeRule {
  /** Values add up, exactly: see {@link ExactSum}, the arithmetic of this rule. */
  SUM,
  /** The smallest value wins. */
  MIN,
  /** The largest value wins. */
  MAX,
  /** One series per file (a {@code pid} label is added): the file's value. */
  ALL,
  /** The value with the largest timestamp wins; a series never set emits nothing. */
  MOSTRECENT;

  private static final String LIVE = "live";

  /**
   * True when a file of {@code type} may not hold {@code value}: OpenMetrics forbids NaN in a
   * counter's total and in histogram and summary samples, so such entries are left out (and
   * counted) by the scrape and the fold alike; gauges may be NaN.
   */
  public static boolean forbidden(MetricType type, double value) {
    return type != MetricType.GAUGE && Double.isNaN(value);
  }

  /** The rule as written in gauge mode tokens and archive keys ({@code mostrecent}). */
  public String token() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The rule named by {@code token}, or null. */
  public static MergeRule fromToken(String token) {
    for (MergeRule rule : values()) {
      if (rule.token().equals(token)) {
        return rule;
      }
    }
    return null;
  }

  /**
   * The rule of a gauge mode token ({@code livesum} gives SUM), or null when {@code modeToken} is
   * none of prometheus_client's ten modes.
   */
  public static MergeRule ofGaugeMode(String modeToken) {
    return fromToken(isLiveMode(modeToken) ? modeToken.substring(LIVE.length()) : modeToken);
  }

  /** True for the gauge mode tokens whose files are deleted when their process dies. */
  public static boolean isLiveMode(String modeToken) {
    return modeToken.startsWith(LIVE);
  }

  /** The rule of a series of {@code type}; {@code gaugeRule} is used for gauges only. */
  public static MergeRule of(MetricType type, MergeRule gaugeRule) {
    return type == MetricType.GAUGE ? gaugeRule : SUM;
  }

  /**
   * The series' value after one more file's {@code value} is merged into {@code merged}, for MIN,
   * MAX and ALL (SUM adds with {@link ExactSum}, MOSTRECENT compares with {@link #isNewer}).
   * Comparisons are Python's ({@code value < merged}), so a NaN never replaces a value.
   */
  public double combine(double merged, double value) {
    switch (this) {
      case SUM:
        throw new IllegalStateException("a sum adds with ExactSum, whose total needs two doubles");
      case MIN:
        return value < merged ? value : merged;
      case MAX:
        return value > merged ? value : merged;
      default:
        return value;
    }
  }

  /** For MOSTRECENT: true when a value written at {@code time} replaces one from {@code merged}. */
  public static boolean isNewer(double time, double mergedTime) {
    return time > mergedTime;
  }
}
