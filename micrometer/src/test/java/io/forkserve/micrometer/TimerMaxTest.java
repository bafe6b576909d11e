package io.forkserve.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.MetricsRegistry;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimerMaxTest {
  @TempDir Path dir;

  @Test
  void maxFollowsTheWindowAndCountAndTotalComeFromTheSeries() {
    MockClock clock = new MockClock();
    try (MetricsRegistry metrics = MetricsRegistry.open(dir);
        ForkserveMeterRegistry meters =
            ForkserveMeterRegistry.builder(metrics)
                .clock(clock)
                .sampleInterval(Duration.ofHours(1))
                .build()) {
      Timer timer = Timer.builder("work").register(meters);
      DistributionSummary summary = DistributionSummary.builder("size").register(meters);
      timer.record(5, TimeUnit.MILLISECONDS);
      timer.record(3, TimeUnit.MILLISECONDS);
      summary.record(40);
      assertEquals(0.005, timer.max(TimeUnit.SECONDS));
      assertEquals(40.0, summary.max());
      assertEquals(2, timer.count());
      assertEquals(0.008, timer.totalTime(TimeUnit.SECONDS), 1e-12);
      assertEquals(1, summary.count());
      assertEquals(40.0, summary.totalAmount());

      clock.add(Duration.ofMinutes(3)); // past the 2 minute window: the max expires at the read
      assertEquals(0.0, timer.max(TimeUnit.SECONDS));
      assertEquals(0.0, summary.max());
      timer.record(7, TimeUnit.MILLISECONDS);
      summary.record(2);
      assertEquals(0.007, timer.max(TimeUnit.SECONDS));
      assertEquals(2.0, summary.max());
      assertEquals(3, timer.count());
    }
  }
}
