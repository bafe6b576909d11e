package io.forkserve.metrics;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The series of one metric: the unlabelled child (created with the metric, as prometheus_client
 * writes its entries at construction) or a cache of labelled children (each created, and its
 * entries written, on first use of its label values). Thread-safe.
 */
final class Children<C> {
  private final String metric;
  private final List<String> labelNames;
  private final Function<List<String>, C> factory;
  private final ConcurrentHashMap<List<String>, C> labelled = new ConcurrentHashMap<>();
  private final C unlabelled;

  Children(String metric, List<String> labelNames, Function<List<String>, C> factory) {
    this.metric = metric;
    this.labelNames = labelNames;
    this.factory = factory;
    this.unlabelled = labelNames.isEmpty() ? factory.apply(List.of()) : null;
  }

  C labels(String[] values) {
    List<String> key = Names.checkLabelValues(metric, labelNames, values);
    C child = labelled.get(key);
    return child != null ? child : labelled.computeIfAbsent(key, factory);
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
