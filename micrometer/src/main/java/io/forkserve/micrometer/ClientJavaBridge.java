package io.forkserve.micrometer;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.DoubleConsumer;

/**
 * Copies the metrics of a prometheus client_java 1.x {@link PrometheusRegistry} into a worker's
 * multiprocess files every interval (1 s by default), so that they appear in the merged {@code
 * /metrics}: counters, gauges, summaries (count and sum) and classic histograms. Native-only
 * histograms, info and state-set metrics, and summary quantiles are not copied.
 *
 * <pre>{@code
 * PrometheusRegistry registry = new PrometheusRegistry();
 * Counter jobs = Counter.builder().name("jobs_total").register(registry);
 * ClientJavaBridge bridge = ClientJavaBridge.start(registry, context.metrics());
 * }</pre>
 */
public final class ClientJavaBridge implements AutoCloseable {
  /*
   * Each pass scrapes the source and adds, per series, what grew since the last pass: counters
   * by the growth of their value, summaries and histograms by observations (the files can only
   * count observations one at a time). A histogram's growth becomes, per bucket, as many
   * observations as the bucket gained, placed at the bucket's upper bound (the last finite bound
   * plus one for +Inf), then moved down within their buckets (or up in +Inf) until their sum is
   * the growth of the source's sum: bucket counts and the sum are copied exactly, up to
   * floating-point rounding. At most MAX_OBSERVATIONS_PER_PASS per series and pass; the rest
   * is carried over. A value that went down (the source was reset) restarts from it, adding
   * nothing. Gauges are set. A series that cannot be written (type or labels clash, series
   * limit) is counted in ERRORS and skipped; the other series go on.
   */

  /** Counter of series the bridge could not copy, labelled {@code metric}. */
  public static final String ERRORS = "forkserve_client_java_bridge_errors";

  static final long MAX_OBSERVATIONS_PER_PASS = 100_000;

  private final PrometheusRegistry source;
  private final Families families;
  private final GaugeMode gaugeMode;
  private final Map<String, double[]> last = new HashMap<>();
  private final PeriodicPass passes;

  private ClientJavaBridge(
      PrometheusRegistry source, MetricsRegistry target, GaugeMode gaugeMode, Duration interval) {
    this.source = Objects.requireNonNull(source, "source");
    this.families = new Families(Objects.requireNonNull(target, "target"));
    this.gaugeMode = Objects.requireNonNull(gaugeMode, "gaugeMode");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive: " + interval);
    }
    this.passes =
        new PeriodicPass(
            "forkserve-client-java-bridge", Duration.ZERO, interval, this::copyQuietly);
  }

  /** Copies {@code source} into {@code target} every second; gauges per live worker (pid). */
  public static ClientJavaBridge start(PrometheusRegistry source, MetricsRegistry target) {
    return start(source, target, GaugeMode.LIVEALL, Duration.ofSeconds(1));
  }

  /** Copies {@code source} into {@code target} every {@code interval}, gauges in {@code mode}. */
  public static ClientJavaBridge start(
      PrometheusRegistry source, MetricsRegistry target, GaugeMode mode, Duration interval) {
    return new ClientJavaBridge(source, target, mode, interval);
  }

  /** One pass now, on the caller's thread. */
  public synchronized void copyNow() {
    for (MetricSnapshot snapshot : source.scrape()) {
      String name = snapshot.getMetadata().getPrometheusName();
      String help =
          snapshot.getMetadata().getHelp() == null ? "" : snapshot.getMetadata().getHelp();
      for (Object point : snapshot.getDataPoints()) {
        try {
          copy(snapshot, name, help, point);
        } catch (RuntimeException e) {
          error(name);
        }
      }
    }
  }

  private void copyQuietly() {
    try {
      copyNow();
    } catch (RuntimeException e) {
      error("");
    }
  }

  private void copy(MetricSnapshot snapshot, String name, String help, Object point) {
    if (snapshot instanceof CounterSnapshot) {
      CounterSnapshot.CounterDataPointSnapshot p = (CounterSnapshot.CounterDataPointSnapshot) point;
      Counter.Child series =
          families.counter(name, help, names(p.getLabels()), values(p.getLabels()));
      double[] before = last(name, p.getLabels(), 1);
      double growth = p.getValue() - before[0];
      if (growth > 0) {
        series.inc(growth);
      }
      before[0] = p.getValue();
    } else if (snapshot instanceof GaugeSnapshot) {
      GaugeSnapshot.GaugeDataPointSnapshot p = (GaugeSnapshot.GaugeDataPointSnapshot) point;
      families
          .gauge(name, help, gaugeMode, names(p.getLabels()), values(p.getLabels()))
          .set(p.getValue());
    } else if (snapshot instanceof SummarySnapshot) {
      SummarySnapshot.SummaryDataPointSnapshot p = (SummarySnapshot.SummaryDataPointSnapshot) point;
      DoubleConsumer series =
          families.summary(name, help, names(p.getLabels()), values(p.getLabels()))::observe;
      double[] before = last(name, p.getLabels(), 2);
      long n = growth(p.getCount(), before, 0);
      double sumGrowth = p.getSum() - before[1];
      before[0] += n;
      if (n > 0) {
        series.accept(sumGrowth);
        for (long i = 1; i < n; i++) {
          series.accept(0.0);
        }
        before[1] = p.getSum();
      }
    } else if (snapshot instanceof HistogramSnapshot) {
      HistogramSnapshot.HistogramDataPointSnapshot p =
          (HistogramSnapshot.HistogramDataPointSnapshot) point;
      if (p.hasClassicHistogramData()) {
        copyHistogram(name, help, p);
      }
    }
  }

  private void copyHistogram(
      String name, String help, HistogramSnapshot.HistogramDataPointSnapshot p) {
    ClassicHistogramBuckets buckets = p.getClassicBuckets();
    int size = buckets.size();
    double[] bounds = new double[size];
    for (int i = 0; i < size; i++) {
      bounds[i] = buckets.getUpperBound(i);
    }
    Histogram.Child series =
        families.histogram(name, help, bounds, names(p.getLabels()), values(p.getLabels()));
    double[] before = last(name, p.getLabels(), size + 1);
    long[] counts = new long[size];
    double[] at = new double[size];
    List<Integer> order = new ArrayList<>();
    double placed = 0;
    long budget = MAX_OBSERVATIONS_PER_PASS;
    for (int i = 0; i < size; i++) {
      counts[i] = Math.min(growth(buckets.getCount(i), before, i), budget);
      budget -= counts[i];
      before[i] += counts[i];
      at[i] = Double.isInfinite(bounds[i]) ? (size > 1 ? bounds[size - 2] + 1 : 0) : bounds[i];
      placed += counts[i] * at[i];
      if (counts[i] > 0) {
        order.add(i);
      }
    }
    if (order.isEmpty()) {
      return;
    }
    double residual = (p.getSum() - before[size]) - placed;
    before[size] = p.getSum();
    for (int i : order) {
      double low = i == 0 ? Double.NEGATIVE_INFINITY : bounds[i - 1];
      for (long k = 0; k < counts[i]; k++) {
        double value = at[i];
        if (residual < 0) {
          double move = Math.max(residual, Math.nextUp(low) - value);
          value += move;
          residual -= move;
        } else if (residual > 0 && Double.isInfinite(bounds[i])) {
          value += residual;
          residual = 0;
        }
        series.observe(value);
      }
    }
  }

  /**
   * The growth of a count since {@code before[i]}, capped; the caller adds what it writes. A
   * decrease restarts from the new value.
   */
  private static long growth(long now, double[] before, int i) {
    if (now < before[i]) {
      before[i] = now;
      return 0;
    }
    long n = (long) (now - before[i]);
    return Math.min(n, MAX_OBSERVATIONS_PER_PASS);
  }

  private double[] last(String name, Labels labels, int size) {
    return last.computeIfAbsent(name + labels, k -> new double[size]);
  }

  private static List<String> names(Labels labels) {
    List<String> names = new ArrayList<>(labels.size());
    for (int i = 0; i < labels.size(); i++) {
      names.add(labels.getPrometheusName(i));
    }
    return names;
  }

  private static List<String> values(Labels labels) {
    List<String> values = new ArrayList<>(labels.size());
    for (int i = 0; i < labels.size(); i++) {
      values.add(labels.getValue(i));
    }
    return values;
  }

  private void error(String metric) {
    families.countError(ERRORS, "client_java series the bridge could not copy, by metric.", metric);
  }

  /** Stops the bridge after a last pass. */
  @Override
  public void close() {
    passes.close();
  }
}
