package io.forkserve.runtime;

import io.forkserve.runtime.front.AdminActions;
import io.forkserve.runtime.front.FrontHandlers;
import io.forkserve.runtime.front.FrontServer;
import io.forkserve.runtime.front.ServerView;
import io.forkserve.runtime.front.ServerView.Probe;
import io.forkserve.runtime.internal.Clock;
import io.forkserve.worker.Callback;
import io.undertow.Undertow;
import io.undertow.server.HandlerWrapper;
import io.undertow.server.HttpHandler;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one server: the metrics directory, each API's worker pool and queue, the channel to each
 * worker and the HTTP front. {@link #start} blocks until every worker is ready or one failed; other
 * methods are thread-safe.
 */
public final class Supervisor implements ServerView, AdminActions {
  /*
   * Start-up. The supervisor reads the config (ServeConfig: --config or the flags) and loads every
   * API class in its own process first (a bad entry or class name fails here, with one line),
   * prepares the metrics directory, and for each API (ApiRuntime) opens its queue and workers'
   * socket and has its pool spawn every worker, then binds the HTTP port, so JVM start-up of the
   * workers overlaps with the front's. A failure before every worker was ready once stops the
   * server with the cause (exit 1).
   *
   * Parts. Each API has its own ApiRuntime: Dispatcher (queue), ProcessLauncher, WorkerSocket and
   * WorkerPool, so APIs share nothing but the front and the metrics directory. ProcessLauncher
   * starts and kills worker processes; WorkerSocket accepts their links; WorkerPool holds the
   * slots and their state machine, driven by the control thread here; DeadWorkers folds an
   * exited worker's files into the archive; FrontHandlers and FrontServer build and bind the
   * front; InfoView is /info.
   *
   * Shut-down. shutdown() (SIGTERM/SIGINT) first turns /health/ready (and /health) to 503 and
   * keeps serving for --drain-delay, so that load balancers and Kubernetes endpoints stop sending
   * here before anything is refused; then it stops accepting requests, waits up to
   * --graceful-timeout for queued and held jobs, then stop(): the front stops, workers get
   * SIGTERM and, after a grace period, SIGKILL for them and their descendants. A JVM shutdown hook
   * runs stop() too. Workers do not depend on it: they exit on EOF of their socket and when their
   * parent process is gone (see WorkerMain).
   */

  static final long SWEEP_MILLIS = 20;
  static final long CONTROL_MILLIS = 50;
  static final long STOP_WAIT_SECONDS = 10;

  private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());

  private final Settings settings;
  private final Clock clock;
  private final PrintStream out;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final ExecutorService blockingPool =
      Executors.newCachedThreadPool(daemonThreads("forkserve-blocking"));
  private final long startNanos;
  private final Probes probes;

  private Settings server;
  private volatile List<ApiRuntime> apis = List.of();
  private ServerMetrics metrics;
  private volatile boolean poolsStarted;
  private volatile Undertow front;

  /** A supervisor for {@code settings}; progress lines go to {@code out}. */
  public Supervisor(Settings settings, Clock clock, PrintStream out) {
    this.settings = settings;
    this.clock = clock;
    this.out = out;
    this.startNanos = clock.nanoTime();
    this.probes = new Probes(clock, settings.minReadyWorkers);
  }

  /**
   * Starts everything and waits until every worker is ready. Throws IllegalStateException with a
   * one-line message when start-up fails (the caller stops and exits).
   */
  public void start() throws InterruptedException {
    ServeConfig config = ServeConfig.load(settings);
    server = config.server;
    List<ApiRuntime> loaded = new ArrayList<>();
    for (ApiConfig api : config.apis) {
      loaded.add(new ApiRuntime(api, probes));
    }
    apis = List.copyOf(loaded);
    metrics = ServerMetrics.open(out, server.jvmMetrics, server.metricsFormat);
    for (ApiRuntime api : apis) {
      Class<?> type = api.api.getClass();
      metrics.front.apiInfo(
          api.name(), type.getName(), type.getPackage().getImplementationVersion());
    }
    FrontServer.probe(server.host, server.port);
    for (ApiRuntime api : apis) {
      api.start(metrics, clock, out, apis.size() > 1);
    }
    poolsStarted = true;
    startFront();
    startThread("forkserve-sweeper", this::sweepLoop);
    for (ApiRuntime api : apis) {
      int workers = api.workers();
      out.printf(
          Locale.ROOT,
          "forkserve: serving %s on http://%s:%d%s with %d worker%s%n",
          api.api.getClass().getName(),
          server.host,
          port(),
          api.settings().apiPath,
          workers,
          workers == 1 ? "" : "s");
    }
    for (ApiRuntime api : apis) {
      String fatal = api.pool().awaitStartup();
      if (fatal != null) {
        throw new IllegalStateException(
            apis.size() == 1 ? fatal : "API " + api.name() + ": " + fatal);
      }
    }
    startThread("forkserve-control", this::controlLoop);
    for (ApiRuntime api : apis) {
      for (Callback c : api.callbacks) {
        c.onServerStart();
      }
    }
    out.printf(Locale.ROOT, "forkserve: ready in %.1f s%n", (clock.nanoTime() - startNanos) / 1e9);
  }

  /** The HTTP port actually bound (useful with --port 0). */
  public int port() {
    Undertow bound = front;
    Settings s = server == null ? settings : server;
    return bound == null ? s.port : FrontServer.port(bound);
  }

  private void startFront() {
    FrontHandlers.Spec spec = new FrontHandlers.Spec();
    List<FrontHandlers.Api> routes = new ArrayList<>();
    List<HandlerWrapper> middlewares = new ArrayList<>();
    Map<String, HttpHandler> mounts = new LinkedHashMap<>();
    for (ApiRuntime api : apis) {
      routes.add(api.frontApi());
      middlewares.addAll(api.middlewares());
      mounts.putAll(api.loggers.mounts());
    }
    spec.apis = routes;
    spec.middlewares = middlewares;
    spec.mounts = mounts;
    spec.apiKey = server.apiKey;
    spec.server = this;
    spec.metrics = metrics.front;
    spec.scraper = metrics.scraper();
    spec.blockingPool = blockingPool;
    spec.clock = clock;
    spec.adminToken = server.adminToken;
    spec.admin = this;
    front =
        FrontServer.start(
            server.host, server.port, FrontHandlers.build(spec).root(), frontLimits());
  }

  /** Descriptors kept for workers, metric files and the archive when capping connections. */
  static final int RESERVED_FDS = 256;

  private FrontServer.Limits frontLimits() {
    int cap = server.maxConnections;
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
      long fds = ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
      long usable = Math.max(16, fds - RESERVED_FDS);
      if (cap > usable) {
        cap = (int) usable;
        out.printf(
            Locale.ROOT,
            "forkserve: --max-connections %d is above what the descriptor limit %d (ulimit -n)"
                + " leaves; using %d%n",
            server.maxConnections,
            fds,
            cap);
      }
    }
    return new FrontServer.Limits(
        server.requestParseTimeoutNanos / 1_000_000,
        server.noRequestTimeoutNanos / 1_000_000,
        // a request waiting for its answer is silent: it is cut by --timeout, never sooner
        Math.max(server.idleTimeoutNanos, server.timeoutNanos) / 1_000_000,
        cap);
  }

  private void controlLoop() {
    while (!stopping.get()) {
      try {
        probes.controlTurned();
        long now = clock.nanoTime();
        for (ApiRuntime api : apis) {
          api.pool().control(now);
          metrics.front.workerStates(api.name(), api.pool().slotStates());
        }
      } catch (RuntimeException e) {
        // e.g. fork failing for lack of memory: keep supervising, try again next round
        LOG.log(System.Logger.Level.WARNING, "supervision round failed", e);
      }
      if (!pause(CONTROL_MILLIS)) {
        return;
      }
    }
  }

  private void sweepLoop() {
    while (!stopping.get()) {
      probes.sweepTurned();
      for (ApiRuntime api : apis) {
        api.dispatcher().sweep();
      }
      if (!pause(SWEEP_MILLIS)) {
        return;
      }
    }
  }

  // --- ServerView and AdminActions ---

  // The front (the only caller of ServerView) starts after the pool exists.

  @Override
  public boolean isHealthy() {
    for (ApiRuntime api : apis) {
      if (!api.isHealthy()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String unhealthyCause() {
    for (ApiRuntime api : apis) {
      String cause = api.unhealthyCause();
      if (cause != null) {
        return apis.size() == 1 ? cause : "API " + api.name() + ": " + cause;
      }
    }
    return null;
  }

  @Override
  public Probe live() {
    return probes.live();
  }

  /** Ready when every API has enough ready workers and none drains; else the first that is not. */
  @Override
  public Probe ready() {
    return worst(ApiRuntime::ready);
  }

  /** Started once every API's workers were all ready once. */
  @Override
  public Probe startup() {
    return worst(ApiRuntime::startup);
  }

  private Probe worst(java.util.function.Function<ApiRuntime, Probe> probe) {
    Probe last = new Probe(false, Map.of("status", "unavailable", "cause", "starting"));
    for (ApiRuntime api : apis) {
      last = probe.apply(api);
      if (!last.ok()) {
        return last;
      }
    }
    return last;
  }

  @Override
  public int readyWorkers() {
    return apis.stream().mapToInt(ApiRuntime::readyWorkers).sum();
  }

  @Override
  public int workers() {
    return apis.stream().mapToInt(ApiRuntime::workers).sum();
  }

  @Override
  public Map<String, ServerView> apis() {
    Map<String, ServerView> views = new LinkedHashMap<>();
    for (ApiRuntime api : apis) {
      views.put(api.name(), api);
    }
    return views;
  }

  @Override
  public void scaleTo(String api, int workers) {
    startedPool(one(api), "scale").scaleTo(workers);
  }

  /**
   * Adds ({@code +1}) or removes ({@code -1}) one worker of every API, never going below one;
   * ignored, with a line on stderr, while the server starts.
   */
  public void scaleBy(int delta) {
    try {
      for (ApiRuntime api : apis) {
        startedPool(api, "scale").scaleBy(delta);
      }
    } catch (IllegalStateException e) {
      System.err.println("forkserve: " + e.getMessage());
    }
  }

  /** Starts a rolling restart of every API's workers. */
  public void reload() {
    reload(null);
  }

  @Override
  public void reload(String api) {
    if (api != null) {
      startedPool(one(api), "reload").reload();
      return;
    }
    for (ApiRuntime each : apis) {
      startedPool(each, "reload");
    }
    for (ApiRuntime each : apis) {
      each.pool().reload();
    }
  }

  /** The API named {@code name}; null names the only API. */
  private ApiRuntime one(String name) {
    List<ApiRuntime> all = apis;
    if (name == null) {
      if (all.size() != 1) {
        throw new IllegalArgumentException(
            "the server runs " + all.size() + " APIs; name one with api=NAME");
      }
      return all.get(0);
    }
    for (ApiRuntime api : all) {
      if (api.name().equals(name)) {
        return api;
      }
    }
    throw new IllegalArgumentException("no API named " + name + "; see /info");
  }

  private WorkerPool startedPool(ApiRuntime api, String action) {
    if (!poolsStarted || api.pool() == null) {
      throw new IllegalStateException(
          "the server is still starting; " + action + " it once it is ready");
    }
    return api.pool();
  }

  @Override
  public Map<String, Object> info() {
    List<ApiRuntime> all = apis;
    List<Map<String, Object>> each = new ArrayList<>();
    for (ApiRuntime api : all) {
      each.add(api.info());
    }
    Map<String, Object> info = new LinkedHashMap<>();
    if (all.size() == 1) {
      info.putAll(each.get(0));
      info.remove("name");
    } else {
      info.put("healthy", isHealthy());
      info.put("settings", server.visible());
      info.put("metrics_dir", metrics.dir.path.toString());
    }
    info.put("apis", each);
    return info;
  }

  // --- shutting down ---

  /**
   * Graceful stop: not ready at once, serving on for --drain-delay (when start-up had finished);
   * then new requests get 503, queued and held requests get up to --graceful-timeout to
   * finish, then {@link #stop}. Blocks until done.
   */
  public void shutdown() {
    if (stopping.get()) {
      return;
    }
    boolean first = true;
    boolean started = !apis.isEmpty();
    for (ApiRuntime api : apis) {
      WorkerPool p = api.pool();
      if (p != null && !p.drain()) {
        first = false;
      }
      started &= p != null && p.isStarted();
    }
    if (!first) {
      return;
    }
    Settings s = server == null ? settings : server;
    if (started && s.drainDelayNanos > 0) {
      out.printf(
          Locale.ROOT,
          "forkserve: draining: not ready, serving for %.1f s more (--drain-delay)%n",
          s.drainDelayNanos / 1e9);
      long drained = clock.nanoTime() + s.drainDelayNanos;
      while (clock.nanoTime() - drained < 0 && !stopping.get() && pause(SWEEP_MILLIS)) {
        // still serving; load balancers see /health/ready 503 and stop sending
      }
    }
    if (poolsStarted) {
      apis.forEach(api -> api.dispatcher().stopAccepting());
      long deadline = clock.nanoTime() + server.gracefulTimeoutNanos;
      out.printf(
          Locale.ROOT,
          "forkserve: shutting down: %d requests in progress, waiting up to %.1f s%n",
          inProgress(),
          server.gracefulTimeoutNanos / 1e9);
      while (inProgress() > 0 && clock.nanoTime() - deadline < 0 && pause(SWEEP_MILLIS)) {
        // waiting for the last jobs
      }
    }
    stop();
    out.println("forkserve: stopped");
  }

  private int inProgress() {
    int jobs = 0;
    for (ApiRuntime api : apis) {
      jobs += api.dispatcher().queueDepth() + api.dispatcher().inWorkers();
    }
    return jobs;
  }

  /**
   * Stops the front and every worker and removes temporary files. Idempotent: a second call waits
   * (a few seconds at most) for the first to finish.
   */
  public void stop() {
    if (!stopping.compareAndSet(false, true)) {
      try {
        stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      stopAll();
    } finally {
      stopped.countDown();
    }
  }

  private void stopAll() {
    List<List<WorkerLauncher.Handle>> workers = new ArrayList<>();
    for (ApiRuntime api : apis) {
      WorkerPool p = api.pool();
      workers.add(p == null ? List.of() : p.stop());
      if (p != null && p.isStarted()) {
        for (Callback c : api.callbacks) {
          c.onServerStop();
        }
      }
    }
    for (ApiRuntime api : apis) {
      if (api.dispatcher() != null) {
        api.dispatcher().stopAccepting();
        api.dispatcher().failQueued("server is shutting down");
      }
    }
    for (int i = 0; i < workers.size(); i++) {
      ProcessLauncher launcher = apis.get(i).launcher();
      if (launcher != null && workers.get(i) != null) {
        launcher.stopAll(workers.get(i));
      }
    }
    if (front != null) {
      front.stop();
    }
    apis.forEach(ApiRuntime::closeSocket);
    if (metrics != null) {
      metrics.close();
    }
  }

  /** Immediate stop (a second signal): SIGKILL for every worker and its descendants. */
  public void kill() {
    stopping.set(true);
    for (ApiRuntime api : apis) {
      WorkerPool p = api.pool();
      if (p != null) {
        p.killAll();
      }
      api.closeSocket();
    }
    try {
      if (metrics != null) {
        metrics.dir.close();
      }
    } catch (RuntimeException e) {
      // best effort: we are exiting at once
    }
  }

  /** Sleeps {@code millis}; false when interrupted. */
  private static boolean pause(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void startThread(String name, Runnable body) {
    daemonThreads(name).newThread(body).start();
  }

  private static ThreadFactory daemonThreads(String name) {
    return body -> {
      Thread thread = new Thread(body, name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
