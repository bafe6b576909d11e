package io.forkserve.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.PythonExposition;
import io.forkserve.testsupport.SampleKeys;
import io.forkserve.testsupport.Tools;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two "workers" (registries with their own file IDs, format v1) write the same Micrometer meters;
 * Debian's prometheus_client 0.16 collector reads the directory with the same samples as ours.
 */
class PythonReadsMetersIT {
  @TempDir Path dir;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
  void pythonsCollectorReadsTheSameTotalsAsOurMerge() throws Exception {
    AtomicLong hits = new AtomicLong();
    for (int worker = 0; worker < 2; worker++) {
      MetricsRegistry metrics =
          MetricsRegistry.builder(dir).pid(4000 + worker).formatVersion(FormatVersion.V1).open();
      try (metrics;
          ForkserveMeterRegistry meters =
              ForkserveMeterRegistry.builder(metrics).sampleInterval(Duration.ofHours(1)).build()) {
        for (int i = 0; i <= worker * 5; i++) {
          Counter.builder("jobs")
              .tag("kind", i % 2 == 0 ? "even" : "odd")
              .register(meters)
              .increment();
          Timer.builder("job.time")
              .publishPercentileHistogram()
              .maximumExpectedValue(Duration.ofSeconds(1))
              .register(meters)
              .record(Duration.ofMillis(3 * i + 1));
          DistributionSummary.builder("job.size").baseUnit("bytes").register(meters).record(i);
          hits.addAndGet(10);
        }
        Gauge.builder("worker.slot", () -> 7).register(meters);
        FunctionCounter.builder("cache.hits", hits, AtomicLong::get).register(meters);
        meters.sampleNow();
      }
    }
    Tools.require("python3-prometheus-client");
    // Python writes no _created in multiprocess mode; our merge adds its own forkserve_* families
    Map<String, Double> ours = ExpositionText.samples(Families2Text.scrape(dir));
    Map<String, Double> python = ExpositionText.samples(PythonExposition.scrape(dir));
    ours.keySet().removeIf(name -> name.startsWith("forkserve_"));
    assertEquals(ours, python);
    assertEquals(4.0, ours.get(SampleKeys.of("jobs_total", "kind", "even")));
    assertEquals(3.0, ours.get(SampleKeys.of("jobs_total", "kind", "odd")));
    assertEquals(7.0, ours.get(SampleKeys.of("job_time_seconds_count")));
    assertEquals(10.0 + 70.0, ours.get(SampleKeys.of("cache_hits_total")));
  }
}
