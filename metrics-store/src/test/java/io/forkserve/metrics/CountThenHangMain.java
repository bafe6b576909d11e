package io.forkserve.metrics;

import io.forkserve.metrics.file.FormatVersion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A writer process for {@link CrashKeepsCountsIT}: {@code DIR THREADS OPS}. THREADS threads add
 * to one counter child and one histogram child (format v1), OPS times each; then it prints
 * {@code counted N} and waits, never closing its registry, to be killed.
 */
final class CountThenHangMain {
  private CountThenHangMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int threads = Integer.parseInt(args[1]);
    int ops = Integer.parseInt(args[2]);
    MetricsRegistry registry =
        MetricsRegistry.builder(dir).formatVersion(FormatVersion.V1).open();
    Counter.Child jobs =
        Counter.builder("jobs").help("J.").labelNames("r").register(registry).labels("a");
    Histogram.Child lat =
        Histogram.builder("lat").help("L.").labelNames("r").buckets(1).register(registry)
            .labels("a");
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        for (int i = 0; i < ops; i++) {
          jobs.inc();
          lat.observe(0.5);
        }
      });
      w.start();
      workers.add(w);
    }
    for (Thread w : workers) {
      w.join();
    }
    System.out.println("counted " + (long) threads * ops);
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }
}
