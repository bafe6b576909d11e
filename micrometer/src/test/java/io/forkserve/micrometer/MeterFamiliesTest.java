package io.forkserve.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.MetricsRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same meters in our registry and in micrometer-registry-prometheus expose the same families.
 */
class MeterFamiliesTest {
  @TempDir Path dir;

  private final AtomicLong queue = new AtomicLong(3);

  @Test
  void sameMetersGiveTheSameFamiliesAsThePrometheusRegistry() throws Exception {
    PrometheusMeterRegistry reference = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MetricsRegistry metrics = MetricsRegistry.open(dir)) {
      ForkserveMeterRegistry ours = ForkserveMeterRegistry.create(metrics);
      register(reference);
      register(ours);
      ours.sampleNow();
      Map<String, String> expected = Families2Text.families(reference.scrape());
      // Gauges are per process (mode liveall): the merge adds the pid label, ours alone.
      Map<String, String> actual = Families2Text.families(Families2Text.scrape(dir), "pid");
      // Long task timers are gauges here (a summary cannot go down); see docs/micrometer.md.
      expected.keySet().removeIf(name -> name.startsWith("ltt_"));
      Map<String, String> ltt = new TreeMap<>(actual);
      ltt.keySet().removeIf(name -> !name.startsWith("ltt_"));
      actual.keySet().removeIf(name -> name.startsWith("ltt_") || name.startsWith("forkserve_"));
      assertEquals(expected, actual);
      assertEquals(
          Map.of(
              "ltt_task_seconds_active_count", "gauge; [ltt_task_seconds_active_count]; [job]",
              "ltt_task_seconds_duration_sum", "gauge; [ltt_task_seconds_duration_sum]; [job]",
              "ltt_task_seconds_max", "gauge; [ltt_task_seconds_max]; [job]"),
          ltt);
      ours.close();
    }
  }

  @Test
  void valuesMatchThePrometheusRegistry() throws Exception {
    PrometheusMeterRegistry reference = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (MetricsRegistry metrics = MetricsRegistry.open(dir)) {
      ForkserveMeterRegistry ours = ForkserveMeterRegistry.create(metrics);
      register(reference);
      register(ours);
      ours.sampleNow();
      String expected = reference.scrape();
      String actual = Families2Text.scrape(dir);
      for (String series :
          new String[] {
            "http_requests_total{_bad_key=\"v\",method=\"GET\"}",
            "my_timer_seconds_count{quantile_free=\"yes\"}",
            "my_timer_seconds_sum{quantile_free=\"yes\"}",
            "my_htimer_seconds_bucket{le=\"+Inf\"}",
            "my_slotimer_seconds_bucket{le=\"0.1\"}",
            "payload_size_bytes_sum",
            "payload_hsize_count",
            "fc_count_total",
            "ft_timer_seconds_count",
            "ft_timer_seconds_sum",
          }) {
        assertEquals(
            Families2Text.value(expected, series), Families2Text.value(actual, series), series);
      }
      long pid = ProcessHandle.current().pid();
      assertEquals(3.0, Families2Text.value(actual, "queue_size{pid=\"" + pid + "\"}"));
      assertEquals(
          0.005, Families2Text.value(actual, "my_timer_seconds_max{quantile_free=\"yes\"}"));
      assertTrue(Families2Text.value(actual, "ltt_task_seconds_active_count{job=\"a\"}") == 1.0);
      ours.close();
    }
  }

  private void register(MeterRegistry r) {
    Counter.builder("http.requests")
        .tag("method", "GET")
        .tag("1bad-key", "v")
        .register(r)
        .increment(2);
    Counter.builder("weird-name!with.chars").register(r).increment();
    Counter.builder("9starts.with.digit").description("digits first").register(r);
    Timer.builder("my.timer").tag("quantile_free", "yes").register(r).record(Duration.ofMillis(5));
    Timer.builder("my.htimer")
        .publishPercentileHistogram()
        .register(r)
        .record(Duration.ofMillis(5));
    Timer.builder("my.slotimer")
        .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(100))
        .register(r)
        .record(Duration.ofMillis(50));
    DistributionSummary.builder("payload.size").baseUnit("bytes").register(r).record(10);
    DistributionSummary.builder("payload.hsize")
        .publishPercentileHistogram()
        .register(r)
        .record(10);
    Gauge.builder("queue.size", queue, AtomicLong::get).register(r);
    Gauge.builder("mem.used", queue, AtomicLong::get).baseUnit("bytes").register(r);
    TimeGauge.builder("uptime", queue, TimeUnit.MILLISECONDS, AtomicLong::get).register(r);
    FunctionCounter.builder("fc.count", queue, q -> 7).register(r);
    FunctionTimer.builder("ft.timer", queue, q -> 4, q -> 2.0, TimeUnit.SECONDS).register(r);
    LongTaskTimer.builder("ltt.task").tag("job", "a").register(r).start();
  }
}
