package io.forkserve.micrometer;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.Summary;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics-store families behind the meters, one per Prometheus name, created on first use and
 * shared by every tag set of that name. A name asked for again with another type, mode, buckets or
 * label names is refused with {@link IllegalArgumentException}; a new label set beyond the
 * registry's series limit with the {@link IllegalStateException} of metrics-store (which counts it
 * in {@link MetricsRegistry#SERIES_REJECTED}). Thread-safe.
 */
final class Families {
  private final MetricsRegistry metrics;
  private final Map<String, Family> byName = new HashMap<>();

  Families(MetricsRegistry metrics) {
    this.metrics = metrics;
  }

  /** The series of counter {@code name} (without {@code _total}) for these label values. */
  synchronized Counter.Child counter(
      String name, String help, List<String> names, List<String> values) {
    Counter counter =
        family(
            name,
            "counter",
            names,
            () -> Counter.builder(name).help(help).labelNames(array(names)).register(metrics));
    return names.isEmpty() ? counter.unlabelled() : counter.labels(array(values));
  }

  /**
   * Adds 1 to the series {@code metric} of the error counter {@code name} (label {@code metric}).
   * A series the registry's limit refuses stays uncounted: counting a failure never fails.
   */
  void countError(String name, String help, String metric) {
    try {
      counter(name, help, List.of("metric"), List.of(metric)).inc();
    } catch (RuntimeException e) {
      // refused by the series limit: the failure stays uncounted, the pass goes on
    }
  }

  /** The series of gauge {@code name} in {@code mode} for these label values. */
  synchronized Gauge.Child gauge(
      String name, String help, GaugeMode mode, List<String> names, List<String> values) {
    Gauge gauge =
        family(
            name,
            "gauge " + mode,
            names,
            () ->
                Gauge.builder(name)
                    .help(help)
                    .mode(mode)
                    .labelNames(array(names))
                    .register(metrics));
    return names.isEmpty() ? new UnlabelledGauge(gauge) : gauge.labels(array(values));
  }

  /** The series of summary {@code name} (count and sum) for these label values. */
  synchronized Summary.Child summary(
      String name, String help, List<String> names, List<String> values) {
    Summary summary =
        family(
            name,
            "summary",
            names,
            () -> Summary.builder(name).help(help).labelNames(array(names)).register(metrics));
    return names.isEmpty() ? summary.unlabelled() : summary.labels(array(values));
  }

  /** The series of histogram {@code name} with these bucket bounds, for these label values. */
  synchronized Histogram.Child histogram(
      String name, String help, double[] bounds, List<String> names, List<String> values) {
    Histogram histogram =
        family(
            name,
            "histogram " + Arrays.toString(bounds),
            names,
            () ->
                Histogram.builder(name)
                    .help(help)
                    .buckets(bounds)
                    .labelNames(array(names))
                    .register(metrics));
    return names.isEmpty() ? histogram.unlabelled() : histogram.labels(array(values));
  }

  private <T> T family(String name, String kind, List<String> names, Creator<T> creator) {
    Family existing = byName.get(name);
    if (existing == null) {
      existing = new Family(kind, List.copyOf(names), creator.create());
      byName.put(name, existing);
    } else if (!existing.kind.equals(kind) || !existing.labelNames.equals(names)) {
      throw new IllegalArgumentException(
          "metric "
              + name
              + " is already a "
              + existing.kind
              + " with labels "
              + existing.labelNames
              + "; refused as a "
              + kind
              + " with labels "
              + names);
    }
    @SuppressWarnings("unchecked")
    T metric = (T) existing.metric;
    return metric;
  }

  private static String[] array(List<String> list) {
    return list.toArray(new String[0]);
  }

  @FunctionalInterface
  private interface Creator<T> {
    T create();
  }

  private static final class Family {
    final String kind;
    final List<String> labelNames;
    final Object metric;

    Family(String kind, List<String> labelNames, Object metric) {
      this.kind = kind;
      this.labelNames = labelNames;
      this.metric = metric;
    }
  }

  /** metrics-store updates an unlabelled gauge directly; this gives it a child's face. */
  private static final class UnlabelledGauge implements Gauge.Child {
    private final Gauge gauge;
    private volatile double last;

    UnlabelledGauge(Gauge gauge) {
      this.gauge = gauge;
    }

    @Override
    public void set(double value) {
      gauge.set(value);
      last = value;
    }

    @Override
    public void inc() {
      inc(1.0);
    }

    @Override
    public void inc(double amount) {
      gauge.inc(amount);
    }

    @Override
    public void dec() {
      dec(1.0);
    }

    @Override
    public void dec(double amount) {
      gauge.dec(amount);
    }

    @Override
    public double get() {
      return last;
    }
  }
}
