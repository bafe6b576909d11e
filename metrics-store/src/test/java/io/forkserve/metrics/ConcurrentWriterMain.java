package io.forkserve.metrics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A writer process for {@link ConcurrencyIT}: {@code DIR PROC THREADS OPS GROWN}. Every thread
 * updates shared series, its own series, and creates GROWN new series (which grows the counter file
 * while the other threads keep updating).
 */
final class ConcurrentWriterMain {
  private ConcurrentWriterMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String proc = args[1];
    int threads = Integer.parseInt(args[2]);
    int ops = Integer.parseInt(args[3]);
    int grown = Integer.parseInt(args[4]);
    try (MetricsRegistry registry = MetricsRegistry.open(dir)) {
      Counter shared = Counter.builder("shared_total").register(registry);
      Counter perThread =
          Counter.builder("per_thread").labelNames("proc", "thread").register(registry);
      Counter grow = Counter.builder("grow").labelNames("proc", "thread", "i").register(registry);
      Histogram hist = Histogram.builder("h").labelNames("kind").buckets(1, 2).register(registry);
      Summary summary = Summary.builder("s").register(registry);
      Gauge inflight = Gauge.builder("inflight").mode(GaugeMode.LIVESUM).register(registry);
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String thread = Integer.toString(t);
        Thread w =
            new Thread(
                () -> {
                  awaitQuietly(start);
                  Counter.Child mine = perThread.labels(proc, thread);
                  Histogram.Child shape = hist.labels("shared");
                  for (int k = 0; k < ops; k++) {
                    shared.inc();
                    mine.inc(2);
                    shape.observe(k % 4);
                    summary.observe(0.5);
                    inflight.inc(1);
                    inflight.dec(1);
                    if (k % (ops / grown) == 0 && k / (ops / grown) < grown) {
                      grow.labels(proc, thread, Integer.toString(k / (ops / grown))).inc();
                    }
                  }
                });
        w.start();
        workers.add(w);
      }
      start.countDown();
      for (Thread w : workers) {
        w.join();
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
