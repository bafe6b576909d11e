package io.forkserve.micrometer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.NamingConvention;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;

/**
 * Names and tag keys as micrometer-registry-prometheus (client_java 1.x line) writes them: the name
 * made Prometheus-safe by client_java's {@link PrometheusNaming}, the base unit appended to
 * counters, gauges and distribution summaries, {@code _seconds} to timers, and the reserved
 * suffixes ({@code _total}, {@code _created}, {@code _bucket}, {@code _info}) dropped.
 */
final class PrometheusNames implements NamingConvention {
  @Override
  public String name(String name, Meter.Type type, String baseUnit) {
    String converted = PrometheusNaming.prometheusName(name);
    switch (type) {
      case COUNTER:
      case GAUGE:
      case DISTRIBUTION_SUMMARY:
        if (baseUnit != null && !baseUnit.isEmpty() && !converted.endsWith("_" + baseUnit)) {
          converted = converted + "_" + baseUnit;
        }
        break;
      case TIMER:
      case LONG_TASK_TIMER:
        if (!converted.endsWith("_seconds")) {
          converted = converted + "_seconds";
        }
        break;
      default:
        break;
    }
    return PrometheusNaming.sanitizeMetricName(converted);
  }

  @Override
  public String tagKey(String key) {
    return PrometheusNaming.sanitizeLabelName(PrometheusNaming.prometheusName(key));
  }
}
