package io.forkserve.benchmarks;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.micrometer.ForkserveMeterRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@link MicrometerBenchmark}'s meters (a cached {@code Counter} and {@code Timer}) through our
 * registry and micrometer-registry-prometheus, in turn: each step times a batch of calls on each
 * side by this thread's CPU time, so that on a machine shared with other work both sides see the
 * same load at the same moment and time spent waiting for a core is not counted. Prints each
 * side's median ns per call and the median of the per-step ratios (below 1: ours is faster).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.forkserve.benchmarks.MicrometerInterleaved \
 *     [STEPS=400] [CALLS_PER_BATCH=200000]
 * </pre>
 */
public final class MicrometerInterleaved {
  private static volatile long sink;

  private MicrometerInterleaved() {}

  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 400;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    Path dir = BenchDirs.create("micrometer-interleaved");
    try (MetricsRegistry metrics = MetricsRegistry.open(dir)) {
      MeterRegistry[] registries = {
        ForkserveMeterRegistry.create(metrics), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)
      };
      Counter[] counters = new Counter[2];
      Timer[] timers = new Timer[2];
      for (int i = 0; i < 2; i++) {
        counters[i] = Counter.builder("bench.requests").tag("route", "/a").register(registries[i]);
        timers[i] = Timer.builder("bench.latency").tag("route", "/a").register(registries[i]);
      }
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      double[][][] nanos = new double[2][2][steps]; // [meter][side][step]
      for (int step = -steps / 4; step < steps; step++) { // the first quarter warms up
        for (int k = 0; k < 2; k++) {
          int side = ((step & 1) == 0) ? k : 1 - k; // alternate which side goes first
          long t0 = threads.getCurrentThreadCpuTime();
          increment(counters[side], calls);
          long t1 = threads.getCurrentThreadCpuTime();
          record(timers[side], calls);
          long t2 = threads.getCurrentThreadCpuTime();
          if (step >= 0) {
            nanos[0][side][step] = (t1 - t0) / (double) calls;
            nanos[1][side][step] = (t2 - t1) / (double) calls;
          }
        }
      }
      String[] names = {"Counter.increment()", "Timer.record()"};
      System.out.printf(Locale.ROOT, "%d steps of %d calls, ns per call by thread CPU time%n",
          steps, calls);
      for (int m = 0; m < 2; m++) {
        double[] ratios = new double[steps];
        for (int s = 0; s < steps; s++) {
          ratios[s] = nanos[m][0][s] / nanos[m][1][s];
        }
        System.out.printf(Locale.ROOT,
            "  %-20s forkserve %.1f ns, micrometer-registry-prometheus %.1f ns, ratio %.2f%n",
            names[m], median(nanos[m][0]), median(nanos[m][1]), median(ratios));
      }
      registries[0].close();
      registries[1].close();
    } finally {
      BenchDirs.delete(dir);
    }
  }

  private static void increment(Counter counter, int calls) {
    for (int i = 0; i < calls; i++) {
      counter.increment();
    }
  }

  private static void record(Timer timer, int calls) {
    long total = 0;
    for (int i = 0; i < calls; i++) {
      timer.record(1_234_567 + (i & 7), TimeUnit.NANOSECONDS);
      total += i;
    }
    sink = total;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
