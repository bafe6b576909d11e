package io.forkserve.runtime.front;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.runtime.internal.RestartReason;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The front's built-in metrics, written to the front process's own files. Thread-safe. The queue
 * and in-flight gauges are sampled just before each scrape, so the hot path pays only for the
 * request duration histogram.
 */
public final class FrontMetrics {
  private final Histogram requestDuration;
  private final Gauge inFlight;
  private final Gauge queueDepth;
  private final Gauge workersUp;
  private final Counter workerRestarts;
  private final Gauge crashLoop;
  private final Counter streamsCancelled;
  private final ConcurrentHashMap<String, Histogram.Child> durationChildren =
      new ConcurrentHashMap<>();

  /** Registers the front's metrics in {@code registry}. */
  public FrontMetrics(MetricsRegistry registry) {
    requestDuration =
        Histogram.builder("forkserve_http_request_duration_seconds")
            .help("HTTP request duration from arrival to response, by route, method and status.")
            .labelNames("route", "method", "status")
            .register(registry);
    inFlight =
        Gauge.builder("forkserve_http_requests_in_flight")
            .help("HTTP requests received and not yet answered.")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
    queueDepth =
        Gauge.builder("forkserve_queue_depth")
            .help("Requests waiting in the front's queue for a worker.")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
    workersUp =
        Gauge.builder("forkserve_workers_up")
            .help("Worker processes connected and ready to serve.")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
    workerRestarts =
        Counter.builder("forkserve_worker_restarts")
            .help(
                "Worker processes started or stopped by the supervisor, by reason: crash, timeout,"
                    + " recycle, scale, reload.")
            .labelNames("reason")
            .register(registry);
    streamsCancelled =
        Counter.builder("forkserve_streams_cancelled")
            .help("Streamed responses stopped because the client went away mid-stream.")
            .register(registry);
    crashLoop =
        Gauge.builder("forkserve_crash_loop")
            .help("1 while workers fail to start in a loop (the server reports unhealthy).")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
  }

  /** A client went away mid-stream; its worker was told to stop. */
  void streamCancelled() {
    streamsCancelled.inc();
  }

  void observeRequest(String route, String method, int status, double seconds) {
    String key = route + ' ' + method + ' ' + status;
    Histogram.Child child = durationChildren.get(key);
    if (child == null) {
      child =
          durationChildren.computeIfAbsent(
              key, k -> requestDuration.labels(route, method, Integer.toString(status)));
    }
    child.observe(seconds);
  }

  /** Samples the gauges that are kept as plain counters between scrapes. */
  void sample(int inFlightNow, int queueDepthNow) {
    inFlight.set(inFlightNow);
    queueDepth.set(queueDepthNow);
  }

  /** Sets the number of ready workers. */
  public void workersUp(int ready) {
    workersUp.set(ready);
  }

  /** Counts one worker restart for {@code reason}. */
  public void workerRestarted(RestartReason reason) {
    workerRestarts.labels(reason.label()).inc();
  }

  /** Sets the crash-loop state. */
  public void crashLoop(boolean looping) {
    crashLoop.set(looping ? 1 : 0);
  }

  /** Makes the restart counters and the crash-loop gauge visible at zero before any restart. */
  public void touch() {
    for (RestartReason reason : RestartReason.values()) {
      workerRestarts.labels(reason.label()).inc(0);
    }
    crashLoop.set(0);
  }
}
