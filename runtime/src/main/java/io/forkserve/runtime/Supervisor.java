package io.forkserve.runtime;

import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.front.AdminActions;
import io.forkserve.runtime.front.FrontHandlers;
import io.forkserve.runtime.front.FrontServer;
import io.forkserve.runtime.front.ServerView;
import io.forkserve.runtime.front.StreamEncoding;
import io.forkserve.runtime.internal.Clock;
import io.forkserve.worker.Callback;
import io.forkserve.worker.EchoApi;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.launch.ApiClass;
import io.undertow.Undertow;
import java.io.PrintStream;
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
 * Runs one server: the metrics directory, the worker pool, the channel to each worker and the HTTP
 * front. {@link #start} blocks until every worker is ready or one failed; other methods are
 * thread-safe.
 */
public final class Supervisor implements ServerView, AdminActions {
  /*
   * Start-up. The supervisor checks settings and the API class in its own process first (a bad
   * class name fails here, with one line), prepares the metrics directory, opens the workers'
   * socket, has the pool spawn every worker, then binds the HTTP port, so JVM start-up of the
   * workers overlaps with the front's. A failure before every worker was ready once stops the
   * server with the cause (exit 1).
   *
   * Parts. ProcessLauncher starts and kills worker processes; WorkerSocket accepts their links;
   * WorkerPool holds the slots and their state machine, driven by the control thread here;
   * DeadWorkers folds an exited worker's files into the archive; FrontHandlers and FrontServer
   * build and bind the front; InfoView is /info.
   *
   * Shut-down. shutdown() (SIGTERM/SIGINT) stops accepting requests, waits up to
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

  private ServingApi<?, ?> api;
  private ValueLoggers loggers = new ValueLoggers(List.of());
  private List<Callback> callbacks = List.of();
  private ServerMetrics metrics;
  private Dispatcher dispatcher;
  private WorkerSocket socket;
  private ProcessLauncher launcher;
  private volatile WorkerPool pool;
  private volatile Undertow server;

  /** A supervisor for {@code settings}; progress lines go to {@code out}. */
  public Supervisor(Settings settings, Clock clock, PrintStream out) {
    this.settings = settings;
    this.clock = clock;
    this.out = out;
    this.startNanos = clock.nanoTime();
  }

  /**
   * Starts everything and waits until every worker is ready. Throws IllegalStateException with a
   * one-line message when start-up fails (the caller stops and exits).
   */
  public void start() throws InterruptedException {
    loadApi();
    metrics = ServerMetrics.open(out);
    dispatcher = new Dispatcher(settings.maxQueue, settings.timeoutNanos, clock::nanoTime);
    socket = WorkerSocket.open(loggers);
    FrontServer.probe(settings.host, settings.port);
    launcher = new ProcessLauncher(settings, apiClassName(), socket.path(), metrics.dir.path);
    PoolEvents events = PoolEvents.of(metrics.front, metrics.deadWorkers);
    pool =
        new WorkerPool(settings, clock, launcher, events, RestartPolicy.of(settings), out, System.err);
    socket.accept(pool, dispatcher, settings);
    pool.spawnAll();
    startFront();
    startThread("forkserve-sweeper", this::sweepLoop);
    int workers = pool.workers();
    out.printf(
        Locale.ROOT,
        "forkserve: serving %s on http://%s:%d%s with %d worker%s%n",
        api.getClass().getName(),
        settings.host,
        port(),
        settings.apiPath,
        workers,
        workers == 1 ? "" : "s");
    String fatal = pool.awaitStartup();
    if (fatal != null) {
      throw new IllegalStateException(fatal);
    }
    startThread("forkserve-control", this::controlLoop);
    for (Callback c : callbacks) {
      c.onServerStart();
    }
    out.printf(Locale.ROOT, "forkserve: ready in %.1f s%n", (clock.nanoTime() - startNanos) / 1e9);
  }

  /** The HTTP port actually bound (useful with --port 0). */
  public int port() {
    Undertow bound = server;
    return bound == null ? settings.port : FrontServer.port(bound);
  }

  private void loadApi() {
    api = ApiClass.instantiate(apiClassName(), settings.jar);
    callbacks = api.callbacks();
    if (api instanceof FrontExtension) {
      loggers = new ValueLoggers(((FrontExtension) api).loggers());
    }
  }

  private String apiClassName() {
    return settings.api == null ? EchoApi.class.getName() : settings.api;
  }

  private void startFront() {
    FrontHandlers.Spec spec = new FrontHandlers.Spec();
    spec.apiPath = settings.apiPath;
    spec.apiKey = settings.apiKey;
    spec.maxPayloadBytes = settings.maxPayloadBytes;
    spec.sendHeaders = ApiClass.wantsHeaders(api);
    spec.rawRequests = ApiClass.takesRawRequests(api);
    spec.maxFileBytes = settings.maxFileBytes;
    spec.streamDefault =
        api.streamFormat() == ServingApi.StreamFormat.SSE
            ? StreamEncoding.SSE
            : StreamEncoding.NDJSON;
    spec.middlewares =
        api instanceof FrontExtension ? ((FrontExtension) api).middlewares() : List.of();
    spec.callbacks = callbacks;
    spec.mounts = loggers.mounts();
    spec.dispatcher = dispatcher;
    spec.server = this;
    spec.metrics = metrics.front;
    spec.scraper = metrics.scraper();
    spec.blockingPool = blockingPool;
    spec.clock = clock;
    spec.adminToken = settings.adminToken;
    spec.admin = this;
    server = FrontServer.start(settings.host, settings.port, FrontHandlers.build(spec).root());
  }

  private void controlLoop() {
    while (!stopping.get()) {
      try {
        pool.control(clock.nanoTime());
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
      dispatcher.sweep();
      if (!pause(SWEEP_MILLIS)) {
        return;
      }
    }
  }

  // --- ServerView and AdminActions ---

  // The front (the only caller of ServerView) starts after the pool exists.

  @Override
  public boolean isHealthy() {
    return pool.isHealthy();
  }

  @Override
  public String unhealthyCause() {
    return pool.isDraining() ? "shutting down" : pool.crashLoopCause();
  }

  @Override
  public int readyWorkers() {
    return pool.readyWorkers();
  }

  @Override
  public int workers() {
    return pool.workers();
  }

  @Override
  public void scaleTo(int workers) {
    startedPool("scale").scaleTo(workers);
  }

  /**
   * Adds ({@code +1}) or removes ({@code -1}) one worker, never going below one; ignored, with a
   * line on stderr, while the server starts.
   */
  public void scaleBy(int delta) {
    try {
      startedPool("scale").scaleBy(delta);
    } catch (IllegalStateException e) {
      System.err.println("forkserve: " + e.getMessage());
    }
  }

  @Override
  public void reload() {
    startedPool("reload").reload();
  }

  private WorkerPool startedPool(String action) {
    WorkerPool p = pool;
    if (p == null) {
      throw new IllegalStateException(
          "the server is still starting; " + action + " it once it is ready");
    }
    return p;
  }

  @Override
  public Map<String, Object> info() {
    return new InfoView(api, settings, pool, dispatcher, metrics.dir).info();
  }

  // --- shutting down ---

  /**
   * Graceful stop: new requests get 503, queued and held requests get up to --graceful-timeout to
   * finish, then {@link #stop}. Blocks until done.
   */
  public void shutdown() {
    WorkerPool p = pool;
    if (stopping.get() || (p != null && !p.drain())) {
      return;
    }
    if (dispatcher != null) {
      dispatcher.stopAccepting();
      long deadline = clock.nanoTime() + settings.gracefulTimeoutNanos;
      out.printf(
          Locale.ROOT,
          "forkserve: shutting down: %d requests in progress, waiting up to %.1f s%n",
          dispatcher.queueDepth() + dispatcher.inWorkers(),
          settings.gracefulTimeoutNanos / 1e9);
      while (dispatcher.queueDepth() + dispatcher.inWorkers() > 0
          && clock.nanoTime() - deadline < 0
          && pause(SWEEP_MILLIS)) {
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
    WorkerPool p = pool;
    List<WorkerLauncher.Handle> workers = p == null ? List.of() : p.stop();
    if (p != null && p.isStarted()) {
      for (Callback c : callbacks) {
        c.onServerStop();
      }
    }
    if (dispatcher != null) {
      dispatcher.stopAccepting();
      dispatcher.failQueued("server is shutting down");
    }
    if (launcher != null && workers != null) {
      launcher.stopAll(workers);
    }
    if (server != null) {
      server.stop();
    }
    if (socket != null) {
      socket.close();
    }
    if (metrics != null) {
      metrics.close();
    }
  }

  /** Immediate stop (a second signal): SIGKILL for every worker and its descendants. */
  public void kill() {
    stopping.set(true);
    WorkerPool p = pool;
    if (p != null) {
      p.killAll();
    }
    if (socket != null) {
      socket.close();
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
