package io.forkserve.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.MetricsRegistry;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real client_java metrics copied into the files: growth only, buckets and sums exact. */
class ClientJavaBridgeTest {
  @TempDir Path dir;

  @Test
  void countersHistogramsSummariesAndGaugesAreCopiedByTheirGrowth() throws Exception {
    PrometheusRegistry source = new PrometheusRegistry();
    Counter jobs =
        Counter.builder().name("jobs_total").help("Jobs.").labelNames("kind").register(source);
    Histogram latency =
        Histogram.builder()
            .name("latency_seconds")
            .classicOnly()
            .classicUpperBounds(0.1, 1.0)
            .register(source);
    Summary sizes = Summary.builder().name("sizes_bytes").register(source);
    Gauge queue = Gauge.builder().name("queue_length").register(source);
    try (MetricsRegistry metrics = MetricsRegistry.open(dir);
        ClientJavaBridge bridge =
            ClientJavaBridge.start(source, metrics, GaugeMode.LIVESUM, Duration.ofHours(1))) {
      jobs.labelValues("a").inc(2);
      latency.observe(0.05);
      latency.observe(0.5);
      sizes.observe(10);
      queue.set(4);
      bridge.copyNow();
      jobs.labelValues("a").inc();
      jobs.labelValues("b").inc();
      latency.observe(0.5);
      latency.observe(5);
      latency.observe(-1);
      sizes.observe(30);
      sizes.observe(2);
      queue.set(3);
      bridge.copyNow();
      bridge.copyNow();

      String text = Families2Text.scrape(dir);
      assertEquals(3.0, Families2Text.value(text, "jobs_total{kind=\"a\"}"), text);
      assertEquals(1.0, Families2Text.value(text, "jobs_total{kind=\"b\"}"), text);
      assertEquals(2.0, Families2Text.value(text, "latency_seconds_bucket{le=\"0.1\"}"), text);
      assertEquals(4.0, Families2Text.value(text, "latency_seconds_bucket{le=\"1.0\"}"), text);
      assertEquals(5.0, Families2Text.value(text, "latency_seconds_bucket{le=\"+Inf\"}"), text);
      assertEquals(5.0, Families2Text.value(text, "latency_seconds_count"), text);
      assertEquals(5.05, Families2Text.value(text, "latency_seconds_sum"), 1e-9, text);
      assertEquals(3.0, Families2Text.value(text, "sizes_bytes_count"), text);
      assertEquals(42.0, Families2Text.value(text, "sizes_bytes_sum"), 1e-9, text);
      assertEquals(3.0, Families2Text.value(text, "queue_length"), text);
      assertEquals("counter; [jobs_total]; [kind]", Families2Text.families(text).get("jobs_total"));
      assertTrue(Double.isNaN(Families2Text.value(text, ClientJavaBridge.ERRORS + "_total")));
    }
  }
}
