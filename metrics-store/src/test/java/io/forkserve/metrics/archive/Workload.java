package io.forkserve.metrics.archive;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.Summary;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The fixed workload archive process tests run in worker processes, and the test's own count of
 * what it must add up to (computed here by arithmetic, not by reading any file).
 */
final class Workload {
  static final int ROUTES = 3;
  static final double[] BOUNDS = {0.1, 0.5, 1.0};
  static final String[] LE = {"0.1", "0.5", "1.0", "+Inf"};

  private Workload() {}

  static double jobsInc(int worker) {
    return 1 + worker % 4;
  }

  static double latency(int worker, int k) {
    return ((k * 7 + worker) % 12) / 10.0;
  }

  static double payload(int worker, int k) {
    return k % 5 + worker;
  }

  /** Runs {@code iterations} rounds as worker {@code worker}, pausing between rounds. */
  static void run(MetricsRegistry r, int worker, int iterations, long pauseNanos) {
    Counter jobs = Counter.builder("jobs").help("Jobs done.").labelNames("route").register(r);
    Histogram latency = Histogram.builder("latency_seconds").help("Latency.")
        .labelNames("route").buckets(BOUNDS).register(r);
    Summary payload = Summary.builder("payload_bytes").help("Payload.").register(r);
    Gauge inflight = Gauge.builder("inflight").help("In flight.").mode(GaugeMode.LIVESUM)
        .register(r);
    Gauge peak = Gauge.builder("peak_worker").help("Largest worker.").mode(GaugeMode.MAX)
        .register(r);
    Gauge index = Gauge.builder("worker_index").help("Worker index.").mode(GaugeMode.ALL)
        .register(r);
    inflight.set(1);
    peak.set(worker);
    index.set(worker);
    for (int k = 0; k < iterations; k++) {
      String route = "r" + k % ROUTES;
      jobs.labels(route).inc(jobsInc(worker));
      latency.labels(route).observe(latency(worker, k));
      payload.observe(payload(worker, k));
      if (pauseNanos > 0) {
        LockSupport.parkNanos(pauseNanos);
      }
    }
  }

  /**
   * The rows a scrape must show once every worker has run and been folded: workers by index,
   * with their pids (for the {@code all} gauge).
   */
  static Map<String, Double> expectedRows(Map<Integer, Long> pidByWorker, int iterations) {
    Map<String, Double> rows = new TreeMap<>();
    double peak = Double.NEGATIVE_INFINITY;
    for (Map.Entry<Integer, Long> e : pidByWorker.entrySet()) {
      int w = e.getKey();
      peak = Math.max(peak, w);
      rows.put("worker_index{pid=\"" + e.getValue() + "\"}", (double) w);
      for (int k = 0; k < iterations; k++) {
        String route = "route=\"r" + k % ROUTES + "\"";
        add(rows, "jobs_total{" + route + "}", jobsInc(w));
        double v = latency(w, k);
        for (int b = 0; b < LE.length; b++) {
          boolean in = b == BOUNDS.length || v <= BOUNDS[b];
          add(rows, "latency_seconds_bucket{le=\"" + LE[b] + "\"," + route + "}", in ? 1 : 0);
        }
        add(rows, "latency_seconds_count{" + route + "}", 1);
        add(rows, "latency_seconds_sum{" + route + "}", v);
        add(rows, "payload_bytes_count", 1);
        add(rows, "payload_bytes_sum", payload(w, k));
      }
    }
    if (!pidByWorker.isEmpty()) {
      rows.put("peak_worker", peak);
    }
    return rows;
  }

  /** True for the rows that must never go down: counters and histogram buckets and counts. */
  static boolean isMonotonic(String row) {
    return row.startsWith("jobs_total") || row.startsWith("latency_seconds_bucket")
        || row.startsWith("latency_seconds_count") || row.startsWith("payload_bytes_count");
  }

  private static void add(Map<String, Double> rows, String key, double v) {
    rows.merge(key, v, Double::sum);
  }

  /** The worker IDs 0..n-1. */
  static List<Integer> workers(int n) {
    return java.util.stream.IntStream.range(0, n).boxed().toList();
  }
}
