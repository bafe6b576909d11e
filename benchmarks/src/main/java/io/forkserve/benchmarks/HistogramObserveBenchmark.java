package io.forkserve.benchmarks;

import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * {@code observe()} on a cached labelled histogram child: ours (a mapped file in a temp
 * directory, Prometheus default buckets) against prometheus client_java 1.x's in-memory
 * classic-only histogram with the same buckets, in the same run.
 *
 * <p>Four shapes: one thread; two threads on one child (contended); two threads each on its own
 * child of the same histogram (the per-thread time should match one thread); and, as the control
 * for that, two threads each on its own histogram (ours: in its own file), which shares nothing
 * but the machine: if it slows down as much, the cause is the machine, not the layout. Every thread
 * observes the same pseudo-random, log-uniform values spread over all 15 buckets, so the bucket
 * search is not a constant branch. Run with {@code -prof gc} to see allocation per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HistogramObserveBenchmark {

  /** The call measured, bound to one implementation per fork (so the call site is monomorphic). */
  interface Observer {
    void observe(double value);
  }

  /** The histogram under test and its children, shared by the threads of one trial. */
  @State(Scope.Benchmark)
  public static class Histograms {
    /** {@code forkserve}: ours; {@code client_java}: prometheus-metrics-core's Histogram. */
    @Param({"forkserve", "client_java"})
    public String impl;

    Observer shared;
    Observer[] distinct;
    Observer[] isolated;
    private final List<Path> dirs = new ArrayList<>();
    private final List<MetricsRegistry> registries = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
      if (!"forkserve".equals(impl) && !"client_java".equals(impl)) {
        throw new IllegalArgumentException("impl must be forkserve or client_java, not " + impl);
      }
      Observer[] children = newHistogram("/a", "/b", "/c");
      shared = children[0];
      distinct = new Observer[] {children[1], children[2]};
      isolated = new Observer[] {newHistogram("/d")[0], newHistogram("/e")[0]};
    }

    /** A new histogram (ours: in a registry of its own) and a child per route. */
    private Observer[] newHistogram(String... routes) {
      Observer[] children = new Observer[routes.length];
      if ("forkserve".equals(impl)) {
        Path dir = BenchDirs.create("forkserve-bench-histogram");
        dirs.add(dir);
        MetricsRegistry registry = MetricsRegistry.open(dir);
        registries.add(registry);
        Histogram histogram =
            Histogram.builder("bench_latency_seconds")
                .help("Latency.")
                .labelNames("route")
                .buckets(Histogram.DEFAULT_BUCKETS)
                .register(registry);
        for (int i = 0; i < routes.length; i++) {
          Histogram.Child child = histogram.labels(routes[i]);
          children[i] = child::observe;
        }
      } else {
        io.prometheus.metrics.core.metrics.Histogram histogram =
            io.prometheus.metrics.core.metrics.Histogram.builder()
                .name("bench_latency_seconds")
                .help("Latency.")
                .labelNames("route")
                .classicOnly()
                .classicUpperBounds(Histogram.DEFAULT_BUCKETS)
                .build();
        for (int i = 0; i < routes.length; i++) {
          DistributionDataPoint child = histogram.labelValues(routes[i]);
          children[i] = child::observe;
        }
      }
      return children;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      registries.forEach(MetricsRegistry::close);
      dirs.forEach(BenchDirs::delete);
    }
  }

  /** Per-thread values to observe and the thread's own child for the distinct-series shape. */
  @State(Scope.Thread)
  public static class Values {
    private static final int MASK = 1023;
    private final double[] values = new double[MASK + 1];
    private int next;
    Observer own;
    Observer alone;

    @Setup(Level.Trial)
    public void setUp(Histograms histograms, ThreadParams thread) {
      SplittableRandom random = new SplittableRandom(42 + thread.getThreadIndex());
      for (int i = 0; i < values.length; i++) {
        // 10^-3 .. 10^1.2: every default bucket and +Inf gets observations.
        values[i] = Math.pow(10, random.nextDouble(-3.0, 1.2));
      }
      own = histograms.distinct[thread.getThreadIndex() % histograms.distinct.length];
      alone = histograms.isolated[thread.getThreadIndex() % histograms.isolated.length];
    }

    double next() {
      return values[next++ & MASK];
    }
  }

  @Benchmark
  @Threads(1)
  public void oneThread(Histograms histograms, Values values) {
    histograms.shared.observe(values.next());
  }

  @Benchmark
  @Threads(2)
  public void twoThreadsSameSeries(Histograms histograms, Values values) {
    histograms.shared.observe(values.next());
  }

  @Benchmark
  @Threads(2)
  public void twoThreadsDistinctSeries(Values values) {
    values.own.observe(values.next());
  }

  @Benchmark
  @Threads(2)
  public void twoThreadsDistinctHistograms(Values values) {
    values.alone.observe(values.next());
  }
}
