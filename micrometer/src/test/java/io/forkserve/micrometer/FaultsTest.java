package io.forkserve.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.MetricsRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.noop.NoopCounter;
import io.micrometer.core.instrument.noop.NoopGauge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Refusals and failing functions never reach the caller or the scrape. */
class FaultsTest {
  @TempDir Path dir;

  @Test
  void aTagSetBeyondTheSeriesLimitIsANoopCountedByTheSelfMetric() throws Exception {
    try (MetricsRegistry metrics = MetricsRegistry.builder(dir).maxSeriesPerMetric(2).open();
        ForkserveMeterRegistry meters = ForkserveMeterRegistry.create(metrics)) {
      for (String user : new String[] {"a", "b", "c", "d"}) {
        meters.counter("logins", "user", user).increment();
      }
      assertTrue(meters.counter("logins", "user", "c") instanceof NoopCounter);
      String text = Families2Text.scrape(dir);
      assertEquals(1.0, Families2Text.value(text, "logins_total{user=\"a\"}"));
      assertEquals(1.0, Families2Text.value(text, "logins_total{user=\"b\"}"));
      assertTrue(Double.isNaN(Families2Text.value(text, "logins_total{user=\"c\"}")));
      assertEquals(
          2.0,
          Families2Text.value(text, MetricsRegistry.SERIES_REJECTED + "_total{metric=\"logins\"}"));
    }
  }

  @Test
  void aFailingGaugeFunctionIsCountedAndSkipped() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MetricsRegistry metrics = MetricsRegistry.open(dir);
        // Only the explicit passes run: one when the gauge is added, one by sampleNow().
        ForkserveMeterRegistry meters =
            ForkserveMeterRegistry.builder(metrics).sampleInterval(Duration.ofHours(1)).build()) {
      Gauge.builder(
              "broken",
              calls,
              c -> {
                c.incrementAndGet();
                throw new IllegalStateException("pool closed");
              })
          .register(meters);
      Gauge.builder("fine", calls, c -> 42).register(meters);
      meters.sampleNow();
      String text = Families2Text.scrape(dir);
      long pid = ProcessHandle.current().pid();
      assertEquals(42.0, Families2Text.value(text, "fine{pid=\"" + pid + "\"}"));
      assertEquals(
          2.0, Families2Text.value(text, Sampler.SAMPLE_ERRORS + "_total{metric=\"broken\"}"));
    }
  }

  @Test
  void aNameTakenByAnotherTypeGivesANoopNotAnException() throws Exception {
    try (MetricsRegistry metrics = MetricsRegistry.open(dir);
        ForkserveMeterRegistry meters = ForkserveMeterRegistry.create(metrics)) {
      Counter.builder("jobs").register(meters).increment();
      Gauge gauge = Gauge.builder("jobs_total", () -> 1).register(meters);
      assertTrue(gauge instanceof NoopGauge, gauge.getClass().getName());
      Timer timer = meters.timer("jobs", "kind", "x");
      timer.record(Duration.ofMillis(1));
      assertEquals(1.0, Families2Text.value(Families2Text.scrape(dir), "jobs_total"));
    }
  }

  @Test
  void theSamplerWritesAChangedGaugeWithinItsInterval() throws Exception {
    AtomicInteger value = new AtomicInteger(1);
    try (MetricsRegistry metrics = MetricsRegistry.open(dir);
        ForkserveMeterRegistry meters =
            ForkserveMeterRegistry.builder(metrics).sampleInterval(Duration.ofMillis(50)).build()) {
      Gauge.builder("level", value, AtomicInteger::get).register(meters);
      String series = "level{pid=\"" + ProcessHandle.current().pid() + "\"}";
      assertEquals(1.0, Families2Text.value(Families2Text.scrape(dir), series));
      value.set(7);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (Families2Text.value(Families2Text.scrape(dir), series) != 7.0) {
        assertTrue(System.nanoTime() < deadline, "the sampler never wrote 7");
        Thread.onSpinWait();
      }
    }
  }
}
