package io.forkserve.metrics;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The series of one metric: the unlabelled child (created with the metric, as prometheus_client
 * writes its entries at construction) or a cache of labelled children (each created, and its
 * entries written, on first use of its label values), at most the registry's {@link
 * MetricsRegistry.Builder#maxSeriesPerMetric(int) maxSeriesPerMetric}. Thread-safe.
 */
final class Children<C> {
  /*
   * The limit is checked inside computeIfAbsent, which runs at most once per key and holds the
   * key's bin while it runs: a refused key leaves no mapping and writes no entry, so the file of
   * an exploding metric stops growing at the limit. Two new keys racing in different bins may
   * each see size() == limit - 1, so the limit may be passed by the number of threads racing;
   * never by more.
   */

  private final String metric;
  private final List<String> labelNames;
  private final MetricsRegistry registry;
  private final Function<List<String>, C> factory;
  private final ConcurrentHashMap<List<String>, C> labelled = new ConcurrentHashMap<>();
  private final C unlabelled;

  Children(
      String metric,
      List<String> labelNames,
      MetricsRegistry registry,
      Function<List<String>, C> factory) {
    this.metric = metric;
    this.labelNames = labelNames;
    this.registry = registry;
    this.factory = factory;
    this.unlabelled = labelNames.isEmpty() ? factory.apply(List.of()) : null;
  }

  C labels(String[] values) {
    List<String> key = Names.checkLabelValues(metric, labelNames, values);
    C child = labelled.get(key);
    return child != null ? child : labelled.computeIfAbsent(key, this::create);
  }

  private C create(List<String> key) {
    registry.admitSeries(metric, labelled.size());
    return factory.apply(key);
  }

  C unlabelled() {
    if (unlabelled == null) {
      throw new IllegalStateException(
          "metric "
              + metric
              + " has label names "
              + labelNames
              + ": update a child from labels(...) instead");
    }
    return unlabelled;
  }
}
