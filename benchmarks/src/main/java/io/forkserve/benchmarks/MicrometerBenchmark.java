package io.forkserve.benchmarks;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.micrometer.ForkserveMeterRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Micrometer's {@code Counter.increment()} and {@code Timer.record(long, TimeUnit)} on cached
 * meters, through our registry (mapped files) and through micrometer-registry-prometheus
 * (client_java in memory), in the same run; one thread. Run with {@code -prof gc} for the
 * allocation per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class MicrometerBenchmark {
  /** {@code forkserve}: {@link ForkserveMeterRegistry}; {@code prometheus}: the Prometheus one. */
  @Param({"forkserve", "prometheus"})
  public String registry;

  private Path dir;
  private MetricsRegistry metrics;
  private MeterRegistry meters;
  private Counter counter;
  private Timer timer;

  @Setup(Level.Trial)
  public void setUp() {
    switch (registry) {
      case "forkserve":
        dir = BenchDirs.create("forkserve-bench-micrometer");
        metrics = MetricsRegistry.open(dir);
        meters = ForkserveMeterRegistry.create(metrics);
        break;
      case "prometheus":
        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        break;
      default:
        throw new IllegalArgumentException("registry must be forkserve or prometheus: " + registry);
    }
    counter = Counter.builder("bench.requests").tag("route", "/a").register(meters);
    timer = Timer.builder("bench.latency").tag("route", "/a").register(meters);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    meters.close();
    if (metrics != null) {
      metrics.close();
      BenchDirs.delete(dir);
    }
  }

  @Benchmark
  public void counterIncrement() {
    counter.increment();
  }

  @Benchmark
  public void timerRecord() {
    timer.record(1_234_567, TimeUnit.NANOSECONDS);
  }
}
