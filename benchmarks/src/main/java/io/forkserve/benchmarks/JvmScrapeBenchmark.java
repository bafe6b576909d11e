package io.forkserve.benchmarks;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.worker.jvm.JvmMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * One warm scrape (merge + text exposition into memory) of 8 workers' directory, with and
 * without the workers' process and JVM metrics: each worker is a registry of its own pid holding
 * {@code series} labelled application series (a counter and a default-bucket histogram each);
 * {@code jvm=on} adds, per worker, what the JVM metrics sampler writes (one sample by {@link
 * JvmMetrics#start}, then the sampler is stopped so that it does not run during measurement).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class JvmScrapeBenchmark {
  private static final int WORKERS = 8;

  /** {@code off}: application series only; {@code on}: plus each worker's JVM metrics. */
  @Param({"off", "on"})
  public String jvm;

  /** Labelled application series per worker (a counter and a histogram each). */
  @Param({"100", "2000"})
  public int series;

  private Path dir;
  private final List<MetricsRegistry> registries = new ArrayList<>();
  private DirectoryScraper scraper;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(8 << 20);

  @Setup(Level.Trial)
  public void setUp() {
    if (!"on".equals(jvm) && !"off".equals(jvm)) {
      throw new IllegalArgumentException("jvm must be on or off, not " + jvm);
    }
    dir = BenchDirs.create("jvm-scrape");
    write(dir, series, "on".equals(jvm), registries);
    scraper = new DirectoryScraper(dir);
  }

  /**
   * Writes {@value #WORKERS} workers' files into {@code dir}: {@code series} application series
   * each, and their JVM metrics when {@code jvm}; the open registries go to {@code keep}.
   */
  static void write(Path dir, int series, boolean jvm, List<MetricsRegistry> keep) {
    for (int w = 0; w < WORKERS; w++) {
      MetricsRegistry registry = MetricsRegistry.builder(dir).pid(900_000 + w).open();
      keep.add(registry);
      Counter requests =
          Counter.builder("app_requests_total").help("Requests.").labelNames("route")
              .register(registry);
      Histogram latency =
          Histogram.builder("app_latency_seconds").help("Latency.").labelNames("route")
              .register(registry);
      for (int s = 0; s < series; s++) {
        requests.labels("r" + s).inc(s);
        latency.labels("r" + s).observe(s / 1000.0);
      }
      if (jvm) {
        JvmMetrics.start(registry, Integer.toString(w)).close();
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    scraper.close();
    registries.forEach(MetricsRegistry::close);
    BenchDirs.delete(dir);
  }

  @Benchmark
  public int scrape() throws IOException {
    out.reset();
    Exposition.write(scraper.scrape(), ExpositionFormat.TEXT, out);
    return out.size();
  }
}
