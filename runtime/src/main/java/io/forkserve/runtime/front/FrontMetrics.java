package io.forkserve.runtime.front;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.runtime.internal.RestartReason;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The front's built-in metrics, written to the front process's own files. Thread-safe. The queue
 * and in-flight gauges are sampled just before each scrape, so the hot path pays only for the
 * request duration histogram.
 */
public final class FrontMetrics {
  private static final System.Logger LOG = System.getLogger(FrontMetrics.class.getName());

  /** The one label value of every method, route or status a client may invent. */
  static final String OTHER = "other";

  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT");

  private final AtomicBoolean refusalLogged = new AtomicBoolean();
  private final Histogram requestDuration;
  private final Gauge inFlight;
  private final Gauge queueDepth;
  private final Gauge workersUp;
  private final Counter workerRestarts;
  private final Gauge crashLoop;
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
    crashLoop =
        Gauge.builder("forkserve_crash_loop")
            .help("1 while workers fail to start in a loop (the server reports unhealthy).")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
  }

  /**
   * Observes one request. {@code route} is a configured path or {@link Routes#UNMATCHED}; the
   * method is mapped to {@link #methodLabel}, and a status outside 100..599 to {@code other}, so
   * a client cannot create series. A refused series (the registry's limit) is logged once.
   */
  void observeRequest(String route, String method, int status, double seconds) {
    String methodLabel = methodLabel(method);
    String statusLabel = status >= 100 && status <= 599 ? Integer.toString(status) : OTHER;
    String key = route + ' ' + methodLabel + ' ' + statusLabel;
    Histogram.Child child = durationChildren.get(key);
    if (child == null) {
      try {
        child =
            durationChildren.computeIfAbsent(
                key, k -> requestDuration.labels(route, methodLabel, statusLabel));
      } catch (IllegalStateException | IllegalArgumentException refused) {
        if (refusalLogged.compareAndSet(false, true)) {
          LOG.log(
              System.Logger.Level.WARNING,
              "request metrics: a new series was refused, further refusals are not logged: "
                  + refused.getMessage());
        }
        return;
      }
    }
    child.observe(seconds);
  }

  /** The method label: a method of RFC 9110 or PATCH as is, every other method {@code other}. */
  static String methodLabel(String method) {
    return KNOWN_METHODS.contains(method) ? method : OTHER;
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
