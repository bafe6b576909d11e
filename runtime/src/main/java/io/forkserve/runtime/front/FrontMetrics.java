package io.forkserve.runtime.front;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.ExemplarLabels;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.Info;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.StateSet;
import io.forkserve.metrics.internal.LazyLogger;
import io.forkserve.runtime.internal.RestartReason;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The front's built-in metrics, written to the front process's own files. Thread-safe. The queue
 * and in-flight gauges are sampled just before each scrape, so the hot path pays only for the
 * request duration histogram. Per-API series carry an {@code api} label whose values are the
 * configured API names (a closed set).
 */
public final class FrontMetrics {
  private static final System.Logger LOG = LazyLogger.of(FrontMetrics.class);
  private static final String[] WORKER_STATES = {"starting", "ready", "draining", "recycling"};


  /** The one label value of every method, route or status a client may invent. */
  static final String OTHER = "other";

  /** The methods of RFC 9110 and PATCH, most frequent first. */
  private static final String[] METHODS = {
    "POST", "GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"
  };

  /** Statuses 100..599 by their own slot, slot 0 for every other. */
  private static final int STATUS_SLOTS = 501;

  private final AtomicBoolean refusalLogged = new AtomicBoolean();
  private final Histogram requestDuration;
  private final Gauge inFlight;
  private final Gauge queueDepth;
  private final Gauge workersUp;
  private final Counter workerRestarts;
  private final Gauge crashLoop;
  private final Counter streamsCancelled;
  private final ConcurrentHashMap<String, RouteChildren> durationChildren =
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
    streamsCancelled =
        Counter.builder("forkserve_streams_cancelled")
            .help("Streamed responses stopped because the client went away mid-stream.")
            .register(registry);
    crashLoop =
        Gauge.builder("forkserve_crash_loop")
            .labelNames("api")
            .help("1 while workers fail to start in a loop (the server reports unhealthy).")
            .mode(GaugeMode.LIVESUM)
            .register(registry);
  }

  /** A client went away mid-stream; its worker was told to stop. */
  void streamCancelled() {
    streamsCancelled.inc();
  }

  /**
   * Observes one request. {@code route} is a configured path or {@link Routes#UNMATCHED}; the
   * method is mapped to {@link #methodLabel}, and a status outside 100..599 to {@code other}, so
   * a client cannot create series. A refused series (the registry's limit) is logged once.
   */
  void observeRequest(
      String route, String method, int status, double seconds, ExemplarLabels exemplar) {
    RouteChildren children = durationChildren.get(route);
    if (children == null) {
      children = durationChildren.computeIfAbsent(route, RouteChildren::new);
    }
    int slot = methodIndex(method) * STATUS_SLOTS + statusIndex(status);
    Histogram.Child child = children.slots.get(slot);
    if (child == null) {
      child = children.create(slot);
      if (child == null) {
        return;
      }
    }
    child.observe(seconds, exemplar);
  }

  private static int statusIndex(int status) {
    return status >= 100 && status <= 599 ? status - 99 : 0;
  }

  /** The index of {@code method} in {@link #METHODS}, or METHODS.length for {@code other}. */
  private static int methodIndex(String method) {
    for (int i = 0; i < METHODS.length; i++) {
      if (METHODS[i].equals(method)) {
        return i;
      }
    }
    return METHODS.length;
  }

  /**
   * The duration series of one route, by method and status slot, so that observing a request
   * builds no label strings and looks up no map by them (one per request otherwise).
   */
  private final class RouteChildren {
    private final String route;
    private final AtomicReferenceArray<Histogram.Child> slots =
        new AtomicReferenceArray<>((METHODS.length + 1) * STATUS_SLOTS);

    RouteChildren(String route) {
      this.route = route;
    }

    /** The series of {@code slot}, registered now; null (logged once) when refused. */
    Histogram.Child create(int slot) {
      int methodIndex = slot / STATUS_SLOTS;
      int statusIndex = slot % STATUS_SLOTS;
      String methodLabel = methodIndex < METHODS.length ? METHODS[methodIndex] : OTHER;
      String statusLabel = statusIndex == 0 ? OTHER : Integer.toString(statusIndex + 99);
      Histogram.Child child;
      try {
        child = requestDuration.labels(route, methodLabel, statusLabel);
      } catch (IllegalStateException | IllegalArgumentException refused) {
        if (refusalLogged.compareAndSet(false, true)) {
          LOG.log(
              System.Logger.Level.WARNING,
              "request metrics: a new series was refused, further refusals are not logged: "
                  + refused.getMessage());
        }
        return null;
      }
      slots.compareAndSet(slot, null, child);
      return slots.get(slot);
    }
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

  /** The method label: a method of RFC 9110 or PATCH as is, every other method {@code other}. */
  static String methodLabel(String method) {
    return methodIndex(method) < METHODS.length ? method : OTHER;
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
