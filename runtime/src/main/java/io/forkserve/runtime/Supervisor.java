package io.forkserve.runtime;

import io.forkserve.runtime.front.FrontHandlers;
import io.forkserve.runtime.front.FrontServer;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one server: the metrics directory, each API's worker pool and queue, the channel to each
 * worker and the HTTP front. {@link #start} blocks until every worker is ready or one failed; other
 * methods are thread-safe.
 */
public final class Supervisor {
  /*
   * Start-up. The supervisor reads the config (ServeConfig: --config or the flags) and loads every
   * API class in its own process first (a bad entry or class name fails here, with one line),
   * prepares the metrics directory, and for each API (ApiRuntime) opens its queue and workers'
   * socket and has its pool spawn every worker; only then binds the HTTP port, so the workers'
   * JVM start-up (the longest step) overlaps the front's own. The LMDB archive and the front's
   * JVM metrics are opened once every worker is ready (their CPU would otherwise slow the
   * workers' start on a small machine); until then scrapes read the files alone. A failure
   * before every worker was ready once stops the server with the cause (exit 1).
   *
   * Parts. Each API has its own ApiRuntime: Dispatcher (queue), ProcessLauncher, WorkerSocket and
   * WorkerPool, so APIs share nothing but the front and the metrics directory. ProcessLauncher
   * starts and kills worker processes; WorkerSocket accepts their links; WorkerPool holds the
   * slots and their state machine, driven by the control thread of SupervisionLoops; DeadWorkers
   * folds an exited worker's files into the archive; FrontHandlers and FrontServer build and bind
   * the front; ServerApis answers the front's view of every API (health, probes, /info) and its
   * admin actions; InfoView is one API's /info. What stays here is wiring and the shut-down order.
   *
   * Shut-down. shutdown() (SIGTERM/SIGINT) first turns /health/ready (and /health) to 503 and
   * keeps serving for --drain-delay, so that load balancers and Kubernetes endpoints stop sending
   * here before anything is refused; then it stops accepting requests, waits up to
   * --graceful-timeout for queued and held jobs, then stop(): the front stops, workers get
   * SIGTERM and, after a grace period, SIGKILL for them and their descendants. A JVM shutdown hook
   * runs stop() too. Workers do not depend on it: they exit on EOF of their socket and when their
   * parent process is gone (see WorkerMain).
   */

  static final long STOP_WAIT_SECONDS = 10;

  private final Settings settings;
  private final Clock clock;
  private final PrintStream out;
  private final PrintStream err;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final ExecutorService blockingPool =
      Executors.newCachedThreadPool(SupervisionLoops.daemonThreads("forkserve-blocking"));
  private final long startNanos;
  private final Probes probes;
  private final ServerApis apis;
  private final SupervisionLoops loops;

  private Settings server;
  private ServerMetrics metrics;
  private volatile Undertow front;

  /**
   * A supervisor for {@code settings}; progress lines go to {@code out}, warnings and refusals to
   * {@code err} (bin/serve's stdout and stderr, handed over by {@link Serve}).
   */
  public Supervisor(Settings settings, Clock clock, PrintStream out, PrintStream err) {
    this.settings = settings;
    this.clock = clock;
    this.out = out;
    this.err = err;
    this.startNanos = clock.nanoTime();
    this.probes = new Probes(clock, settings.minReadyWorkers);
    this.apis = new ServerApis(probes);
    this.loops = new SupervisionLoops(apis::list, probes, clock, stopping::get);
  }

  /**
   * Starts everything and waits until every worker is ready. Throws IllegalStateException with a
   * one-line message when start-up fails (the caller stops and exits), a WrongSettingException
   * when the config or the worker JVM options are wrong.
   */
  public void start() throws InterruptedException {
    ServeConfig config;
    try {
      config = ServeConfig.load(settings);
    } catch (IllegalArgumentException e) {
      throw new WrongSettingException(e.getMessage());
    }
    server = config.server;
    if (server.customWorkerJvmOpts()) {
      String refused = WorkerJvmOptions.refusal(server.workerJvmOpts);
      if (refused != null) {
        throw new WrongSettingException("--worker-jvm-opts is refused by java: " + refused);
      }
    }
    List<ApiRuntime> loaded = new ArrayList<>();
    for (ApiConfig api : config.apis) {
      loaded.add(new ApiRuntime(api, probes));
    }
    apis.loaded(loaded, server);
    metrics = ServerMetrics.open(out, server.metricsFormat);
    for (ApiRuntime api : loaded) {
      Class<?> type = api.api.getClass();
      metrics.front.apiInfo(
          api.name(), type.getName(), type.getPackage().getImplementationVersion());
    }
    FrontServer.probe(server.host, server.port);
    for (ApiRuntime api : loaded) {
      api.start(metrics, clock, out, err, loaded.size() > 1);
    }
    apis.poolsStarted(metrics.dir.path);
    startFront(loaded);
    loops.startSweeper();
    for (ApiRuntime api : loaded) {
      int workers = api.workers();
      out.printf(
          Locale.ROOT,
          "forkserve: serving %s on http://%s:%d%s with %d worker%s%n",
          api.api.getClass().getName(),
          server.host,
          port(),
          api.servedPath(),
          workers,
          workers == 1 ? "" : "s");
    }
    for (ApiRuntime api : loaded) {
      String fatal = api.pool().awaitStartup();
      if (fatal != null) {
        throw new IllegalStateException(
            loaded.size() == 1 ? fatal : "API " + api.name() + ": " + fatal);
      }
    }
    metrics.openArchive(out, server.jvmMetrics);
    loops.startControl(metrics.front);
    for (ApiRuntime api : loaded) {
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

  /**
   * Adds ({@code +1}) or removes ({@code -1}) one worker of every API, never going below one;
   * ignored, with a line on stderr, while the server starts.
   */
  public void scaleBy(int delta) {
    try {
      apis.scaleBy(delta);
    } catch (IllegalStateException e) {
      err.println("forkserve: " + e.getMessage());
    }
  }

  /** Starts a rolling restart of every API's workers. */
  public void reload() {
    apis.reload(null);
  }

  private void startFront(List<ApiRuntime> loaded) {
    // here, not first thing in main: java.util.logging's set-up is CPU the workers' spawn need
    // not wait for, and nothing logs through it before the front starts
    FrontServer.quietLibraries();
    FrontHandlers.Spec spec = new FrontHandlers.Spec();
    List<FrontHandlers.Api> routes = new ArrayList<>();
    List<HandlerWrapper> middlewares = new ArrayList<>();
    Map<String, HttpHandler> mounts = new LinkedHashMap<>();
    for (ApiRuntime api : loaded) {
      routes.add(api.frontApi());
      middlewares.addAll(api.middlewares());
      mounts.putAll(api.loggers.mounts());
    }
    spec.apis = routes;
    spec.middlewares = middlewares;
    spec.mounts = mounts;
    spec.apiKey = server.apiKey;
    spec.server = apis;
    spec.metrics = metrics.front;
    spec.scraper = metrics.scraper();
    spec.blockingPool = blockingPool;
    spec.clock = clock;
    spec.adminToken = server.adminToken;
    spec.admin = apis;
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
    List<ApiRuntime> all = apis.list();
    boolean started = !all.isEmpty();
    for (ApiRuntime api : all) {
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
      while (clock.nanoTime() - drained < 0 && !stopping.get() && pause()) {
        // still serving; load balancers see /health/ready 503 and stop sending
      }
    }
    if (apis.poolsStarted()) {
      all.forEach(api -> api.dispatcher().stopAccepting());
      long deadline = clock.nanoTime() + server.gracefulTimeoutNanos;
      out.printf(
          Locale.ROOT,
          "forkserve: shutting down: %d requests in progress, waiting up to %.1f s%n",
          apis.inProgress(),
          server.gracefulTimeoutNanos / 1e9);
      while (apis.inProgress() > 0 && clock.nanoTime() - deadline < 0 && pause()) {
        // waiting for the last jobs
      }
    }
    stop();
    out.println("forkserve: stopped");
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
    List<ApiRuntime> all = apis.list();
    List<List<WorkerLauncher.Handle>> workers = new ArrayList<>();
    for (ApiRuntime api : all) {
      WorkerPool p = api.pool();
      workers.add(p == null ? List.of() : p.stop());
      if (p != null && p.isStarted()) {
        for (Callback c : api.callbacks) {
          c.onServerStop();
        }
      }
    }
    for (ApiRuntime api : all) {
      if (api.dispatcher() != null) {
        api.dispatcher().stopAccepting();
        api.dispatcher().failQueued("server is shutting down");
      }
    }
    for (int i = 0; i < workers.size(); i++) {
      ProcessLauncher launcher = all.get(i).launcher();
      if (launcher != null && workers.get(i) != null) {
        launcher.stopAll(workers.get(i));
      }
    }
    if (front != null) {
      front.stop();
    }
    all.forEach(ApiRuntime::closeSocket);
    if (metrics != null) {
      metrics.close();
    }
  }

  /** Immediate stop (a second signal): SIGKILL for every worker and its descendants. */
  public void kill() {
    stopping.set(true);
    for (ApiRuntime api : apis.list()) {
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

  private static boolean pause() {
    return SupervisionLoops.pause(SupervisionLoops.SWEEP_MILLIS);
  }
}
