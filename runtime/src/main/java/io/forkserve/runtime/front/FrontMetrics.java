package io.forkserve.runtime.front;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.ExemplarLabels;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.Info;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.StateSet;
import io.forkserve.runtime.internal.RestartReason;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The front's built-in metrics, written to the front process's own files. Thread-safe. The queue
 * and in-flight gauges are sampled just before each scrape, so the hot path pays only for the
 * request duration histogram. Per-API series carry an {@code api} label whose values are the
 * configured API names (a closed set).
 */
public final class FrontMetrics {
  private static final String[] WORKER_STATES = {"starting", "ready", "draining", "recycling"};

  private final Histogram requestDuration;
  private final Gauge inFlight;
  private final Gauge queueDepth;
  private final Gauge workersUp;
  private final Counter workerRestarts;
  private final Gauge crashLoop;
  private final ConcurrentHashMap<String, Histogram.Child> durationChildren =
      new ConcurrentHashMap<>();
  private final Info apiInfo;
  private final StateSet workerState;
  private final Map<String, Set<Integer>> stateSlots = new java.util.HashMap<>();

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
            .labelNames("api")
            .help("Requests waiting in the front's queue for a worker.")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
    workersUp =
        Gauge.builder("forkserve_workers_up")
            .labelNames("api")
            .help("Worker processes connected and ready to serve.")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
    workerRestarts =
        Counter.builder("forkserve_worker_restarts")
            .help(
                "Worker processes started or stopped by the supervisor, by reason: crash, timeout,"
                    + " recycle, scale, reload.")
            .labelNames("api", "reason")
            .register(registry);
    apiInfo =
        Info.builder("forkserve_api")
            .help("The served API: its class and version (the jar's Implementation-Version).")
            .labelNames("api", "name", "version")
            .register(registry);
    workerState =
        StateSet.builder("forkserve_worker_state")
            .help("Each worker slot's state: starting, ready, draining or recycling.")
            .labelNames("api", "worker")
            .states(WORKER_STATES)
            .register(registry);
    crashLoop =
        Gauge.builder("forkserve_crash_loop")
            .labelNames("api")
            .help("1 while workers fail to start in a loop (the server reports unhealthy).")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
  }

  void observeRequest(String route, String method, int status, double seconds,
      ExemplarLabels exemplar) {
    String key = route + ' ' + method + ' ' + status;
    Histogram.Child child = durationChildren.get(key);
    if (child == null) {
      child =
          durationChildren.computeIfAbsent(
              key, k -> requestDuration.labels(route, method, Integer.toString(status)));
    }
    child.observe(seconds, exemplar);
  }

  /** Sets {@code forkserve_api_info}. */
  public void apiInfo(String api, String name, String version) {
    apiInfo.add(api, name, version == null ? "unknown" : version);
  }

  /**
   * Sets {@code forkserve_worker_state} from each slot's state (one of starting, ready, draining,
   * recycling); a slot no longer listed has all its states false.
   */
  public synchronized void workerStates(String api, Map<Integer, String> states) {
    Set<Integer> before = stateSlots.getOrDefault(api, Set.of());
    for (Integer gone : before) {
      if (!states.containsKey(gone)) {
        StateSet.Child child = workerState.labels(api, Integer.toString(gone));
        for (String state : WORKER_STATES) {
          child.set(state, false);
        }
      }
    }
    states.forEach(
        (slot, state) -> workerState.labels(api, Integer.toString(slot)).setState(state));
    stateSlots.put(api, Set.copyOf(states.keySet()));
  }

  /** Samples the gauges that are kept as plain counters between scrapes. */
  void sample(int inFlightNow) {
    inFlight.set(inFlightNow);
  }

  /** Sets API {@code api}'s queue depth (sampled before a scrape). */
  void queueDepth(String api, int depth) {
    queueDepth.labels(api).set(depth);
  }

  /** Sets the number of API {@code api}'s ready workers. */
  public void workersUp(String api, int ready) {
    workersUp.labels(api).set(ready);
  }

  /** Counts one worker restart of API {@code api} for {@code reason}. */
  public void workerRestarted(String api, RestartReason reason) {
    workerRestarts.labels(api, reason.label()).inc();
  }

  /** Sets API {@code api}'s crash-loop state. */
  public void crashLoop(String api, boolean looping) {
    crashLoop.labels(api).set(looping ? 1 : 0);
  }

  /**
   * Makes API {@code api}'s series visible before anything happens: workers up and queue depth at
   * zero, the restart counters at zero, no crash loop.
   */
  public void touch(String api) {
    for (RestartReason reason : RestartReason.values()) {
      workerRestarts.labels(api, reason.label()).inc(0);
    }
    crashLoop.labels(api).set(0);
    workersUp.labels(api).set(0);
    queueDepth.labels(api).set(0);
  }
}
