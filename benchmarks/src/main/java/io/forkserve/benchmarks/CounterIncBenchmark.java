package io.forkserve.benchmarks;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.MetricsRegistry;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * {@code inc()} on a cached labelled counter child: ours (a mapped file) against prometheus
 * client_java 1.x's in-memory counter, in the same run; one thread, two threads on one child,
 * two threads on distinct children, and two threads on distinct counters (ours: each in its own
 * file; the control for distinct children). Run with {@code -prof gc} to see allocation per
 * operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CounterIncBenchmark {

  /** The call measured, bound to one implementation per fork. */
  interface Incrementer {
    void inc();
  }

  /** The counter under test and its children, shared by the threads of one trial. */
  @State(Scope.Benchmark)
  public static class Counters {
    /** {@code forkserve}: ours; {@code client_java}: prometheus-metrics-core's Counter. */
    @Param({"forkserve", "client_java"})
    public String impl;

    Incrementer shared;
    Incrementer[] distinct;
    Incrementer[] isolated;
    private final List<Path> dirs = new ArrayList<>();
    private final List<MetricsRegistry> registries = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
      if (!"forkserve".equals(impl) && !"client_java".equals(impl)) {
        throw new IllegalArgumentException("impl must be forkserve or client_java, not " + impl);
      }
      Incrementer[] children = newCounter("/a", "/b", "/c");
      shared = children[0];
      distinct = new Incrementer[] {children[1], children[2]};
      isolated = new Incrementer[] {newCounter("/d")[0], newCounter("/e")[0]};
    }

    /** A new counter (ours: in a registry of its own) and a child per route. */
    private Incrementer[] newCounter(String... routes) {
      Incrementer[] children = new Incrementer[routes.length];
      if ("forkserve".equals(impl)) {
        Path dir = BenchDirs.create("forkserve-bench-counter");
        dirs.add(dir);
        MetricsRegistry registry = MetricsRegistry.open(dir);
        registries.add(registry);
        Counter counter =
            Counter.builder("bench_requests").help("Requests.").labelNames("route")
                .register(registry);
        for (int i = 0; i < routes.length; i++) {
          Counter.Child child = counter.labels(routes[i]);
          children[i] = child::inc;
        }
      } else {
        io.prometheus.metrics.core.metrics.Counter counter =
            io.prometheus.metrics.core.metrics.Counter.builder()
                .name("bench_requests")
                .help("Requests.")
                .labelNames("route")
                .build();
        for (int i = 0; i < routes.length; i++) {
          CounterDataPoint child = counter.labelValues(routes[i]);
          children[i] = child::inc;
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

  /** The thread's own child (distinct series) and own counter (distinct counters). */
  @State(Scope.Thread)
  public static class Own {
    Incrementer child;
    Incrementer alone;

    @Setup(Level.Trial)
    public void setUp(Counters counters, ThreadParams thread) {
      child = counters.distinct[thread.getThreadIndex() % counters.distinct.length];
      alone = counters.isolated[thread.getThreadIndex() % counters.isolated.length];
    }
  }

  @Benchmark
  @Threads(1)
  public void oneThread(Counters counters) {
    counters.shared.inc();
  }

  @Benchmark
  @Threads(2)
  public void twoThreadsSameSeries(Counters counters) {
    counters.shared.inc();
  }

  @Benchmark
  @Threads(2)
  public void twoThreadsDistinctSeries(Own own) {
    own.child.inc();
  }

  @Benchmark
  @Threads(2)
  public void twoThreadsDistinctCounters(Own own) {
    own.alone.inc();
  }
}
