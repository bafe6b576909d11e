package io.forkserve.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.dispatch.WorkerLink;
import io.forkserve.runtime.front.AdminActions;
import io.forkserve.runtime.front.FrontHandlers;
import io.forkserve.runtime.front.FrontMetrics;
import io.forkserve.runtime.front.ServerView;
import io.forkserve.worker.Callback;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.internal.ApiLoader;
import io.forkserve.worker.internal.WorkerMain;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs one server: the metrics directory, the worker processes, the channel to each and the HTTP
 * front. {@link #start} blocks until every worker is ready or one failed; other methods are
 * thread-safe.
 */
public final class Supervisor implements ServerView, AdminActions, WorkerLink.Listener {
  /*
   * Start-up. The supervisor checks settings and the API class in its own process first (a bad
   * class name fails here, with one line), prepares the metrics directory, opens the workers'
   * socket, spawns every worker, then binds the HTTP port, so JVM start-up of the workers
   * overlaps with the front's. Each worker connects and says HELLO (with its pid, which names
   * its Worker); its link's reader thread then reports READY or FAILED. A failure before every
   * worker was ready once stops the server with the cause (bin/serve exits 1).
   *
   * Slots. Slot i is the i-th worker position (its index and device). It holds the current
   * Worker and, during a replacement, a successor. All slot and worker state is guarded by this
   * object's monitor; link events (reader threads), process exits (the JDK's exit threads) and
   * the control thread all take it briefly and never block under it.
   *
   * Replacement without a capacity dip (recycle, reload): the successor is spawned while the
   * current worker serves; when the successor is READY it becomes current and the old worker
   * retires: its link stops taking jobs, the jobs it holds complete, then the link's output is
   * shut down and the worker exits on EOF. Scaling down retires the last slots the same way.
   *
   * Failure. An exit the supervisor did not ask for is a crash: the link has already failed the
   * jobs the worker held (503, Retry-After, naming the worker); queued jobs stay in the central
   * queue for the others. The slot restarts after RestartPolicy's backoff; a crash loop makes
   * /health 503 with the cause, logged once. A worker whose heartbeat is silent for
   * --worker-timeout is killed with its process tree and replaced at once (reason timeout).
   *
   * Metrics of dead workers. Once a worker's exit callback runs, its process is reaped and can
   * write no more; only then are its files folded into the LMDB archive (MetricsArchive.fold)
   * and deleted. /metrics merges the archive with the live files, so counters never go back.
   *
   * Shut-down. shutdown() (SIGTERM/SIGINT) stops accepting requests, waits up to
   * --graceful-timeout for queued and held jobs, then stop(): the front stops, workers get
   * SIGTERM and, after a grace period, SIGKILL for them and their descendants. A JVM shutdown hook
   * runs stop() too. Workers do not depend on it: they exit on EOF of their socket and when their
   * parent process is gone (see WorkerMain).
   */

  static final long SWEEP_MILLIS = 20;
  static final long CONTROL_MILLIS = 50;
  static final long RSS_CHECK_NANOS = 1_000_000_000L;
  static final int SPAWN_LOG_SIZE = 64;
  static final int MAX_WORKERS = 1024;
  static final long STOP_WAIT_SECONDS = 10;

  private final Settings settings;
  private final Clock clock;
  private final PrintStream out;
  private final ObjectMapper mapper = new ObjectMapper();
  private final List<Slot> slots = new ArrayList<>();
  private final Map<Long, Worker> byPid = new ConcurrentHashMap<>();
  private final List<Worker> retiring = new ArrayList<>();
  private final Deque<Worker> reloadQueue = new ArrayDeque<>();
  private final Deque<Map<String, Object>> spawnLog = new ArrayDeque<>();
  private final Map<String, Long> restarts = new LinkedHashMap<>();
  private final RestartPolicy policy;
  private final CountDownLatch startup = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final ExecutorService blockingPool =
      Executors.newCachedThreadPool(daemonThreads("forkserve-blocking"));
  private final ExecutorService loggerThread =
      Executors.newSingleThreadExecutor(daemonThreads("forkserve-logger"));
  private final long startNanos;

  private ServingApi<?, ?> api;
  private List<Logger> loggers = List.of();
  private List<Callback> callbacks = List.of();
  private MetricsDir metricsDir;
  private MetricsRegistry registry;
  private MetricsArchive archive;
  private final Object archiveLock = new Object();
  private FrontMetrics metrics;
  private Dispatcher dispatcher;
  private SocketDir socketDir;
  private ServerSocketChannel sockets;
  private Undertow server;
  private volatile String fatal;
  private volatile boolean started;
  private volatile boolean stopping;
  private volatile boolean draining;
  private volatile String crashLoopCause;
  private int desired;

  /** A supervisor for {@code settings}; progress lines go to {@code out}. */
  public Supervisor(Settings settings, Clock clock, PrintStream out) {
    this.settings = settings;
    this.clock = clock;
    this.out = out;
    this.startNanos = clock.nanoTime();
    this.desired = settings.workers;
    this.policy =
        new RestartPolicy(
            settings.restartBackoffNanos,
            settings.restartBackoffMaxNanos,
            settings.crashLoopRestarts,
            settings.crashLoopWindowNanos,
            () -> ThreadLocalRandom.current().nextDouble());
    for (String reason : FrontMetrics.RESTART_REASONS) {
      restarts.put(reason, 0L);
    }
  }

  /**
   * Starts everything and waits until every worker is ready. Throws IllegalStateException with a
   * one-line message when start-up fails (the caller stops and exits).
   */
  public void start() throws InterruptedException {
    loadApi();
    metricsDir = MetricsDir.prepare(System.getenv(MetricsRegistry.ENV));
    out.println(
        "forkserve: metrics directory "
            + metricsDir.path
            + (metricsDir.privateDir ? " (private to this server)" : " (wiped)"));
    openMetrics();
    openArchive();
    dispatcher = new Dispatcher(settings.maxQueue, settings.timeoutNanos, clock);
    openSocket();
    probePort();
    synchronized (this) {
      for (int i = 0; i < desired; i++) {
        Slot slot = addSlot();
        slot.current = spawn(slot, null);
      }
    }
    startFront();
    startThread("forkserve-sweeper", this::sweepLoop);
    out.printf(
        Locale.ROOT,
        "forkserve: serving %s on http://%s:%d%s with %d worker%s%n",
        api.getClass().getName(),
        settings.host,
        port(),
        settings.apiPath,
        desired,
        desired == 1 ? "" : "s");
    startup.await();
    if (fatal != null) {
      throw new IllegalStateException(fatal);
    }
    started = true;
    startThread("forkserve-control", this::controlLoop);
    for (Callback c : callbacks) {
      c.onServerStart();
    }
    out.printf(Locale.ROOT, "forkserve: ready in %.1f s%n", seconds(clock.nanoTime() - startNanos));
  }

  /** The HTTP port actually bound (useful with --port 0). */
  public int port() {
    if (server == null) {
      return settings.port;
    }
    return ((java.net.InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  private void loadApi() {
    api = ApiLoader.instantiate(apiClassName(), settings.jar);
    callbacks = api.callbacks();
    if (api instanceof FrontExtension) {
      loggers = ((FrontExtension) api).loggers();
    }
  }

  private String apiClassName() {
    return settings.api == null ? io.forkserve.worker.EchoApi.class.getName() : settings.api;
  }

  private void openMetrics() {
    try {
      registry = MetricsRegistry.open(metricsDir.path);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "metrics directory " + metricsDir.path + " is unusable: " + e.getMessage());
    }
    metrics = new FrontMetrics(registry);
    metrics.workersUp(0);
    metrics.touch();
  }

  private void openArchive() {
    try {
      archive = MetricsArchive.open(metricsDir.path);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "metrics archive in " + metricsDir.path + " is unusable: " + e.getMessage());
    }
  }

  private void openSocket() {
    try {
      sockets = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      socketDir = SocketDir.bind(sockets);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot create the workers' socket: " + e.getMessage());
    }
    startThread("forkserve-accept", this::acceptLoop);
  }

  private void acceptLoop() {
    while (!stopping) {
      try {
        SocketChannel channel = sockets.accept();
        WorkerLink link =
            WorkerLink.accept(
                channel, dispatcher, settings.maxBatchSize, settings.batchTimeoutNanos, this);
        Worker worker = byPid.get(link.pid());
        if (worker == null) {
          channel.close();
          continue;
        }
        worker.link = link;
      } catch (IOException e) {
        if (!stopping) {
          System.err.println("forkserve: worker connection failed: " + e.getMessage());
        }
        if (!sockets.isOpen()) {
          return;
        }
      }
    }
  }

  // --- slots and workers, all under this object's monitor ---

  private Slot addSlot() {
    int index = slots.size();
    Slot slot = new Slot(index, settings.devices.get(index % settings.devices.size()));
    slots.add(slot);
    return slot;
  }

  /** Spawns a worker for {@code slot}; {@code reason} is null for the first start. */
  private Worker spawn(Slot slot, String reason) {
    Worker worker = new Worker(slot, clock.nanoTime(), maxRequestsOfNewWorker());
    try {
      worker.process = workerProcess(slot).start();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot start worker " + slot.index + ": " + e.getMessage());
    }
    worker.pid = worker.process.pid();
    byPid.put(worker.pid, worker);
    if (reason != null) {
      countRestart(reason);
    }
    logSpawn(worker, reason);
    worker.process.onExit().thenAccept(p -> exited(worker, p.exitValue()));
    return worker;
  }

  private long maxRequestsOfNewWorker() {
    if (settings.maxRequests <= 0) {
      return 0;
    }
    long jitter = settings.maxRequestsJitter;
    return settings.maxRequests
        + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0);
  }

  private ProcessBuilder workerProcess(Slot slot) {
    List<String> command = new ArrayList<>();
    command.add(Processes.javaCommand());
    command.addAll(settings.workerJvmOpts);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(WorkerMain.class.getName());
    Map<String, String> args = new LinkedHashMap<>(settings.visible());
    Settings.SECRETS.forEach(args::remove);
    args.put("socket", socketDir.socket.toString());
    args.put("index", Integer.toString(slot.index));
    args.put("workers", Integer.toString(desired));
    args.put("api", apiClassName());
    args.put("jar", settings.jar == null ? "" : settings.jar);
    args.put("device", slot.device);
    // one stack trace per failure streak: the first start and the first restart after a success
    args.put("print-setup-trace", Boolean.toString(slot.failures <= 1));
    args.forEach((k, v) -> command.add(k + "=" + v));
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    builder.environment().put(MetricsRegistry.ENV, metricsDir.path.toString());
    if (slot.device.startsWith("cuda:")) {
      builder.environment().put("CUDA_VISIBLE_DEVICES", slot.device.substring(5));
    }
    return builder;
  }

  private void logSpawn(Worker worker, String reason) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("index", worker.slot.index);
    event.put("pid", worker.pid);
    event.put("reason", reason == null ? "start" : reason);
    event.put("at_seconds", seconds(worker.spawnedNanos - startNanos));
    spawnLog.addLast(event);
    while (spawnLog.size() > SPAWN_LOG_SIZE) {
      spawnLog.removeFirst();
    }
    if (reason != null && crashLoopCause == null) {
      out.printf(
          Locale.ROOT,
          "forkserve: starting worker %d (pid %d, reason %s)%n",
          worker.slot.index,
          worker.pid,
          reason);
    }
  }

  private void countRestart(String reason) {
    restarts.merge(reason, 1L, Long::sum);
    metrics.workerRestarted(reason);
  }

  // --- the control loop: liveness, recycling, replacement, scaling, reload ---

  private void controlLoop() {
    while (!stopping) {
      synchronized (this) {
        if (!stopping) {
          try {
            control(clock.nanoTime());
          } catch (RuntimeException e) {
            // e.g. fork failing for lack of memory: keep supervising, try again next round
            System.err.println("forkserve: supervision round failed: " + e.getMessage());
          }
        }
      }
      try {
        Thread.sleep(CONTROL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One round of the control loop at {@code now}. */
  private synchronized void control(long now) {
    for (Slot slot : new ArrayList<>(slots)) {
      checkLiveness(slot.current, now);
      checkLiveness(slot.successor, now);
      if (!draining) {
        checkRecycle(slot, now);
        respawnIfDue(slot, now);
      }
    }
    finishRetiring(now);
    if (!draining) {
      scale();
      nextReload(now);
    }
  }

  private void checkLiveness(Worker worker, long now) {
    if (worker == null || !worker.ready || worker.stopReason != null) {
      return;
    }
    if (now - worker.lastHeardNanos > settings.workerTimeoutNanos) {
      System.err.printf(
          Locale.ROOT,
          "forkserve: worker %d (pid %d) silent for %.1f s (--worker-timeout): killing it%n",
          worker.slot.index,
          worker.pid,
          seconds(now - worker.lastHeardNanos));
      worker.stopReason = "timeout";
      if (worker.link != null) {
        worker.link.goneBecause(
            String.format(
                Locale.ROOT,
                "killed after %.1f s without a heartbeat (--worker-timeout)",
                seconds(now - worker.lastHeardNanos)));
      }
      Processes.killTree(worker.process);
    }
  }

  private void checkRecycle(Slot slot, long now) {
    Worker worker = slot.current;
    if (worker == null
        || !worker.ready
        || worker.stopReason != null
        || slot.successor != null
        || now - slot.nextSpawnNanos < 0) {
      return;
    }
    String why = recycleCause(worker, now);
    if (why != null) {
      out.printf(
          Locale.ROOT,
          "forkserve: recycling worker %d (pid %d): %s%n",
          slot.index,
          worker.pid,
          why);
      slot.successor = spawn(slot, "recycle");
      slot.successorReason = "recycle";
    }
  }

  private String recycleCause(Worker worker, long now) {
    WorkerLink link = worker.link;
    if (worker.maxRequests > 0 && link != null && link.served() >= worker.maxRequests) {
      return link.served() + " requests served (--max-requests)";
    }
    if (settings.maxWorkerRssBytes > 0 && now - worker.rssCheckedNanos >= RSS_CHECK_NANOS) {
      worker.rssCheckedNanos = now;
      long rss = Processes.residentBytes(worker.pid);
      if (rss > settings.maxWorkerRssBytes) {
        return "resident memory " + rss / (1024 * 1024) + " MiB (--max-worker-rss)";
      }
    }
    return null;
  }

  private void respawnIfDue(Slot slot, long now) {
    if (slot.current == null && slot.pendingReason != null && now - slot.nextSpawnNanos >= 0) {
      slot.nextSpawnNanos = now + policy.delayNanos(slot.failures + 1);
      slot.current = spawn(slot, slot.pendingReason);
      slot.pendingReason = null;
    }
  }

  private void finishRetiring(long now) {
    for (Worker worker : new ArrayList<>(retiring)) {
      WorkerLink link = worker.link;
      if (link == null || now - worker.retiredNanos > settings.gracefulTimeoutNanos) {
        Processes.killTree(worker.process);
        retiring.remove(worker);
      } else if (link.drained()) {
        link.finish();
        retiring.remove(worker);
      }
    }
  }

  private void retire(Worker worker, String reason) {
    worker.stopReason = reason;
    worker.retiredNanos = clock.nanoTime();
    if (worker.link != null) {
      worker.link.retire();
    }
    retiring.add(worker);
  }

  private void scale() {
    while (slots.size() < desired) {
      Slot slot = addSlot();
      slot.current = spawn(slot, "scale");
    }
    while (slots.size() > desired) {
      Slot slot = slots.remove(slots.size() - 1);
      slot.removed = true;
      countRestart("scale");
      out.printf(Locale.ROOT, "forkserve: scaling down: worker %d leaves%n", slot.index);
      for (Worker worker : new Worker[] {slot.current, slot.successor}) {
        if (worker != null && worker.stopReason == null) {
          retire(worker, "scale");
        }
      }
      publishReady();
    }
  }

  private void nextReload(long now) {
    for (Slot slot : slots) {
      if (slot.successor != null) {
        return; // one replacement at a time
      }
    }
    while (!reloadQueue.isEmpty()) {
      Worker old = reloadQueue.removeFirst();
      Slot slot = old.slot;
      if (!slot.removed && slot.current == old && old.stopReason == null) {
        slot.successor = spawn(slot, "reload");
        slot.successorReason = "reload";
        return;
      }
    }
  }

  private void publishReady() {
    if (metrics != null) {
      metrics.workersUp(readyWorkers());
    }
  }

  // --- process exits ---

  private void exited(Worker worker, int code) {
    try {
      if (metricsDir != null) {
        metricsDir.processGone(worker.pid);
      }
      foldDeadWorker(worker.pid);
    } catch (RuntimeException e) {
      System.err.println("forkserve: metric files of worker pid " + worker.pid + ": " + e);
    }
    synchronized (this) {
      byPid.remove(worker.pid);
      retiring.remove(worker);
      worker.gone = true;
      worker.ready = false;
      if (stopping) {
        return;
      }
      if (!started) {
        fail(startupFailure(worker, code));
        return;
      }
      Slot slot = worker.slot;
      boolean expected = worker.stopReason != null;
      if (slot.successor == worker) {
        slot.successor = null;
      }
      if (slot.current == worker) {
        slot.current = slot.successor; // a replacement already starting takes over
        slot.successor = null;
      }
      if (!expected) {
        crashed(worker, code);
      } else if (worker.stopReason.equals("timeout") && !slot.removed && slot.current == null) {
        slot.pendingReason = "timeout";
        slot.nextSpawnNanos = clock.nanoTime();
      }
      publishReady();
    }
  }

  /**
   * Folds the files of worker {@code pid} into the metrics archive and deletes them. Called only
   * from the process's exit callback, so the worker can no longer write them; then clears the LMDB
   * reader slot it may have left.
   */
  private void foldDeadWorker(long pid) {
    synchronized (archiveLock) {
      if (archive == null) {
        return;
      }
      archive.fold(pid);
      archive.checkStaleReaders();
    }
  }

  private String startupFailure(Worker worker, int code) {
    if (worker.failure != null) {
      return "worker " + worker.slot.index + " setup failed: " + worker.failure;
    }
    return "worker " + worker.slot.index + " exited with code " + code + " during start-up";
  }

  private void crashed(Worker worker, int code) {
    Slot slot = worker.slot;
    long now = clock.nanoTime();
    String cause =
        worker.failure != null
            ? "setup failed: " + worker.failure
            : "exited with code " + code + (worker.everReady ? "" : " before it was ready");
    slot.failures++;
    long delay = policy.delayNanos(slot.failures);
    boolean loop = policy.failed(now);
    if (loop && crashLoopCause == null) {
      crashLoopCause =
          "crash loop: "
              + policy.recentFailures(now)
              + " worker failures within "
              + Math.round(seconds(settings.crashLoopWindowNanos))
              + " s; last: worker "
              + slot.index
              + " "
              + cause;
      metrics.crashLoop(true);
      System.err.println(
          "forkserve: "
              + crashLoopCause
              + " (retrying with backoff up to "
              + seconds(settings.restartBackoffMaxNanos)
              + " s; /health reports 503)");
    } else if (crashLoopCause == null) {
      System.err.printf(
          Locale.ROOT,
          "forkserve: worker %d (pid %d) %s; restarting in %.2f s%n",
          slot.index,
          worker.pid,
          cause,
          seconds(delay));
    }
    slot.nextSpawnNanos = now + delay;
    if (!slot.removed && slot.current == null) {
      slot.pendingReason = "crash";
    }
  }

  private void fail(String message) {
    if (fatal == null) {
      fatal = message;
    }
    startup.countDown();
  }

  // --- WorkerLink.Listener, called on link reader threads ---

  @Override
  public void ready(WorkerLink link, long setupNanos) {
    int ready;
    Worker worker;
    synchronized (this) {
      worker = byPid.get(link.pid());
      if (worker == null) {
        return;
      }
      worker.link = link;
      worker.ready = true;
      worker.everReady = true;
      worker.healthy = true;
      worker.lastHeardNanos = clock.nanoTime();
      Slot slot = worker.slot;
      slot.failures = 0;
      if (worker.stopReason != null || slot.removed) {
        link.retire();
        if (!retiring.contains(worker)) {
          retire(worker, worker.stopReason == null ? "scale" : worker.stopReason);
        }
      } else if (slot.successor == worker) {
        Worker old = slot.current;
        slot.current = worker;
        slot.successor = null;
        slot.pendingReason = null;
        if (old != null && old.stopReason == null) {
          retire(old, slot.successorReason);
        }
      }
      healIfRecovered();
      ready = readyWorkers();
    }
    out.printf(
        Locale.ROOT,
        "forkserve: worker %d/%d ready in %.1f s (setup %.2f s, pid %d)%n",
        ready,
        desiredWorkers(),
        seconds(clock.nanoTime() - worker.spawnedNanos),
        seconds(setupNanos),
        link.pid());
    publishReady();
    if (!started && ready == desiredWorkers()) {
      startup.countDown();
    }
  }

  private void healIfRecovered() {
    if (crashLoopCause == null) {
      return;
    }
    for (Slot slot : slots) {
      if (slot.current == null || !slot.current.ready) {
        return;
      }
    }
    crashLoopCause = null;
    metrics.crashLoop(false);
    System.err.println("forkserve: crash loop over: every worker is ready again");
  }

  @Override
  public void failed(WorkerLink link, String message) {
    synchronized (this) {
      Worker worker = byPid.get(link.pid());
      if (worker != null) {
        worker.failure = message;
      }
    }
    if (!started) {
      fail("worker " + link.index() + " setup failed: " + message);
    }
  }

  @Override
  public void health(WorkerLink link, boolean healthy) {
    Worker worker = byPid.get(link.pid());
    if (worker != null) {
      worker.healthy = healthy;
      worker.lastHeardNanos = clock.nanoTime();
    }
  }

  @Override
  public void log(WorkerLink link, String key, byte[] json) {
    if (loggers.isEmpty()) {
      return;
    }
    loggerThread.execute(() -> deliver(key, json));
  }

  private void deliver(String key, byte[] json) {
    try {
      Object value = mapper.readTree(json);
      for (Logger logger : loggers) {
        logger.process(key, value);
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("forkserve: logger failed for key " + key + ": " + e);
    }
  }

  @Override
  public void closed(WorkerLink link, IOException cause) {
    synchronized (this) {
      Worker worker = byPid.get(link.pid());
      if (worker == null || worker.gone) {
        return;
      }
      boolean wasReady = worker.ready;
      worker.ready = false;
      if (worker.stopReason == null && !stopping && wasReady) {
        System.err.printf(
            Locale.ROOT,
            "forkserve: worker %d (pid %d) went away; %d/%d workers ready%n",
            worker.slot.index,
            worker.pid,
            readyWorkers(),
            desiredWorkers());
      }
      if (worker.stopReason == null) {
        // a live process without its channel serves nobody
        Processes.killTree(worker.process);
      }
    }
    publishReady();
  }

  // --- ServerView and AdminActions ---

  @Override
  public synchronized boolean isHealthy() {
    if (crashLoopCause != null || draining || slots.isEmpty()) {
      return false;
    }
    for (Slot slot : slots) {
      Worker worker = slot.current;
      if (worker == null || !worker.ready || !worker.healthy) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String unhealthyCause() {
    if (draining) {
      return "shutting down";
    }
    return crashLoopCause;
  }

  @Override
  public synchronized int readyWorkers() {
    int ready = 0;
    for (Slot slot : slots) {
      if (slot.current != null && slot.current.ready && slot.current.stopReason == null) {
        ready++;
      }
    }
    return ready;
  }

  @Override
  public synchronized int workers() {
    return desired;
  }

  private synchronized int desiredWorkers() {
    return desired;
  }

  @Override
  public synchronized void scaleTo(int workers) {
    if (workers < 1 || workers > MAX_WORKERS) {
      throw new IllegalArgumentException("workers must be from 1 to " + MAX_WORKERS);
    }
    if (stopping || draining) {
      return;
    }
    if (!started) {
      throw new IllegalStateException("the server is still starting; scale it once it is ready");
    }
    if (workers != desired) {
      out.printf(Locale.ROOT, "forkserve: scaling from %d to %d workers%n", desired, workers);
    }
    desired = workers;
  }

  /**
   * Adds ({@code +1}) or removes ({@code -1}) one worker, never going below one; ignored, with a
   * line on stderr, while the server starts.
   */
  public synchronized void scaleBy(int delta) {
    try {
      scaleTo(Math.max(1, Math.min(MAX_WORKERS, desired + delta)));
    } catch (IllegalStateException e) {
      System.err.println("forkserve: " + e.getMessage());
    }
  }

  @Override
  public synchronized void reload() {
    if (stopping || draining) {
      return;
    }
    if (!started) {
      throw new IllegalStateException("the server is still starting; reload it once it is ready");
    }
    reloadQueue.clear();
    for (Slot slot : slots) {
      if (slot.current != null) {
        reloadQueue.addLast(slot.current);
      }
    }
    out.printf(Locale.ROOT, "forkserve: rolling restart of %d workers%n", reloadQueue.size());
  }

  @Override
  public synchronized Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("api", api.getClass().getName());
    info.put("metadata", api.metadata());
    info.put("api_path", settings.apiPath);
    info.put("streaming", api.isStreaming());
    info.put("healthy", isHealthy());
    info.put("queue_depth", dispatcher.queueDepth());
    info.put("in_workers", dispatcher.inWorkers());
    List<Map<String, Object>> workers = new ArrayList<>();
    for (Slot slot : slots) {
      workers.add(describe(slot.current, slot));
    }
    info.put("workers", workers);
    info.put("desired_workers", desired);
    info.put("restarts", new LinkedHashMap<>(restarts));
    info.put("crash_loop", crashLoopCause != null);
    info.put("crash_loop_cause", crashLoopCause);
    info.put("spawns", new ArrayList<>(spawnLog));
    info.put("settings", settings.visible());
    info.put("metrics_dir", metricsDir.path.toString());
    return info;
  }

  private Map<String, Object> describe(Worker worker, Slot slot) {
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("index", slot.index);
    w.put("pid", worker == null ? null : worker.pid);
    w.put("device", slot.device);
    w.put("ready", worker != null && worker.ready);
    w.put("healthy", worker != null && worker.healthy);
    w.put("served", worker == null || worker.link == null ? 0 : worker.link.served());
    return w;
  }

  // --- shutting down ---

  /**
   * Graceful stop: new requests get 503, queued and held requests get up to --graceful-timeout to
   * finish, then {@link #stop}. Blocks until done.
   */
  public void shutdown() {
    synchronized (this) {
      if (draining || stopping) {
        return;
      }
      draining = true;
    }
    if (dispatcher != null) {
      dispatcher.stopAccepting();
      long deadline = clock.nanoTime() + settings.gracefulTimeoutNanos;
      out.printf(
          Locale.ROOT,
          "forkserve: shutting down: %d requests in progress, waiting up to %.1f s%n",
          dispatcher.queueDepth() + dispatcher.inWorkers(),
          seconds(settings.gracefulTimeoutNanos));
      while (dispatcher.queueDepth() + dispatcher.inWorkers() > 0
          && clock.nanoTime() - deadline < 0) {
        try {
          Thread.sleep(SWEEP_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
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
    List<Worker> workers;
    synchronized (this) {
      if (stopping) {
        awaitStopped();
        return;
      }
      stopping = true;
      workers = new ArrayList<>(byPid.values());
    }
    try {
      stopAll(workers);
    } finally {
      stopped.countDown();
    }
  }

  private void awaitStopped() {
    try {
      stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void stopAll(List<Worker> workers) {
    if (started) {
      for (Callback c : callbacks) {
        c.onServerStop();
      }
    }
    if (dispatcher != null) {
      dispatcher.stopAccepting();
      dispatcher.failQueued("server is shutting down");
    }
    List<ProcessHandle> descendants = new ArrayList<>();
    for (Worker worker : workers) {
      worker.process.descendants().forEach(descendants::add);
    }
    for (Worker worker : workers) {
      worker.process.destroy();
    }
    for (Worker worker : workers) {
      Processes.awaitOrKill(worker.process, descendants);
    }
    if (server != null) {
      server.stop();
    }
    closeQuietly();
    closeArchive();
    if (registry != null) {
      registry.close();
    }
    if (metricsDir != null) {
      metricsDir.close();
    }
  }

  private void closeArchive() {
    synchronized (archiveLock) {
      if (archive != null) {
        archive.close();
        archive = null;
      }
    }
  }

  /** Immediate stop (a second signal): SIGKILL for every worker and its descendants. */
  public void kill() {
    synchronized (this) {
      stopping = true;
    }
    for (Worker worker : byPid.values()) {
      Processes.killTree(worker.process);
    }
    closeQuietly();
    try {
      if (metricsDir != null) {
        metricsDir.close();
      }
    } catch (RuntimeException e) {
      // best effort: we are exiting at once
    }
  }

  private void closeQuietly() {
    try {
      if (sockets != null) {
        sockets.close();
      }
      if (socketDir != null) {
        socketDir.delete();
      }
    } catch (IOException e) {
      // best effort at exit
    }
  }

  private void startFront() {
    FrontHandlers.Spec spec = new FrontHandlers.Spec();
    spec.apiPath = settings.apiPath;
    spec.apiKey = settings.apiKey;
    spec.maxPayloadBytes = settings.maxPayloadBytes;
    spec.sendHeaders = WorkerMain.overridesAuthorize(api);
    spec.middlewares =
        api instanceof FrontExtension ? ((FrontExtension) api).middlewares() : List.of();
    spec.callbacks = callbacks;
    spec.mounts = mounts();
    spec.dispatcher = dispatcher;
    spec.server = this;
    spec.metrics = metrics;
    spec.scraper = new DirectoryScraper(metricsDir.path, List.of(archive.newMergeSource()));
    spec.blockingPool = blockingPool;
    spec.clock = clock;
    spec.adminToken = settings.adminToken;
    spec.admin = this;
    HttpHandler root = FrontHandlers.build(spec).root();
    int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
    server =
        Undertow.builder()
            .addHttpListener(settings.port, settings.host)
            .setIoThreads(ioThreads)
            .setWorkerThreads(4)
            .setHandler(root)
            .build();
    try {
      server.start();
    } catch (RuntimeException e) {
      server = null;
      throw new IllegalArgumentException(bindFailure(e));
    }
  }

  /**
   * Fails fast, before any worker starts, when the port is taken; the front binds it for real
   * later, while the workers boot.
   */
  private void probePort() {
    if (settings.port == 0) {
      return;
    }
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new java.net.InetSocketAddress(settings.host, settings.port));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot listen on "
              + settings.host
              + ":"
              + settings.port
              + ": "
              + e.getMessage()
              + (e instanceof BindException ? " (is the port in use?)" : ""));
    }
  }

  private String bindFailure(RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return "cannot listen on "
            + settings.host
            + ":"
            + settings.port
            + ": "
            + t.getMessage()
            + " (is the port in use?)";
      }
    }
    return "cannot start the HTTP front on " + settings.host + ":" + settings.port + ": " + e;
  }

  private Map<String, HttpHandler> mounts() {
    Map<String, HttpHandler> mounts = new LinkedHashMap<>();
    for (Logger logger : loggers) {
      mounts.putAll(logger.mounts());
    }
    return mounts;
  }

  private void sweepLoop() {
    while (!stopping) {
      dispatcher.sweep();
      try {
        Thread.sleep(SWEEP_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static void startThread(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    return body -> {
      Thread thread = new Thread(body, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /** One worker position: its index and device, its current worker and a successor. */
  private static final class Slot {
    final int index;
    final String device;
    Worker current;
    Worker successor;
    String successorReason;
    int failures;
    long nextSpawnNanos;
    String pendingReason;
    boolean removed;

    Slot(int index, String device) {
      this.index = index;
      this.device = device;
    }
  }

  /** One worker process; fields guarded by the supervisor's monitor unless volatile. */
  private static final class Worker {
    final Slot slot;
    final long spawnedNanos;
    final long maxRequests;
    Process process;
    long pid;
    volatile WorkerLink link;
    volatile boolean ready;
    boolean everReady;
    volatile boolean healthy;
    volatile long lastHeardNanos;
    String failure;
    String stopReason;
    long retiredNanos;
    long rssCheckedNanos;
    boolean gone;

    Worker(Slot slot, long spawnedNanos, long maxRequests) {
      this.slot = slot;
      this.spawnedNanos = spawnedNanos;
      this.maxRequests = maxRequests;
    }
  }
}
