package io.forkserve.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.dispatch.WorkerLink;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs one server: the metrics directory, N worker processes, the channel to each and the HTTP
 * front. {@link #start} blocks until every worker is ready or one failed; other methods are
 * thread-safe.
 */
public final class Supervisor implements ServerView, WorkerLink.Listener {
  /*
   * Start-up. The supervisor checks settings and the API class in its own process first (a bad
   * class name fails here, with one line), prepares the metrics directory, opens the workers'
   * socket, spawns every worker, then binds the HTTP port, so JVM start-up of the workers
   * overlaps with the front's. Each worker connects and says HELLO; its link's reader thread
   * then reports READY or FAILED. Until every worker is READY (and healthy) /health says 503.
   *
   * Shut-down. A JVM shutdown hook stops the front, destroys worker processes and removes the
   * socket and a private metrics directory. Workers do not depend on it: they exit on EOF of
   * their socket and when their parent process is gone (see WorkerMain).
   */

  static final long SWEEP_MILLIS = 20;

  private final Settings settings;
  private final Clock clock;
  private final PrintStream out;
  private final ObjectMapper mapper = new ObjectMapper();
  private final Slot[] slots;
  private final CountDownLatch startup = new CountDownLatch(1);
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
  private FrontMetrics metrics;
  private Dispatcher dispatcher;
  private SocketDir socketDir;
  private ServerSocketChannel sockets;
  private Undertow server;
  private volatile String fatal;
  private volatile boolean started;
  private volatile boolean stopping;
  private int readyCount;

  /** A supervisor for {@code settings}; progress lines go to {@code out}. */
  public Supervisor(Settings settings, Clock clock, PrintStream out) {
    this.settings = settings;
    this.clock = clock;
    this.out = out;
    this.startNanos = clock.nanoTime();
    this.slots = new Slot[settings.workers];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Slot(settings.devices.get(i % settings.devices.size()));
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
    dispatcher = new Dispatcher(settings.maxQueue, settings.timeoutNanos, clock);
    openSocket();
    probePort();
    for (int i = 0; i < slots.length; i++) {
      spawn(i);
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
        slots.length,
        slots.length == 1 ? "" : "s");
    startup.await();
    if (fatal != null) {
      throw new IllegalStateException(fatal);
    }
    started = true;
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
        if (link.index() < 0 || link.index() >= slots.length) {
          channel.close();
          continue;
        }
        slots[link.index()].link = link;
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

  private void spawn(int index) {
    Slot slot = slots[index];
    List<String> command = new ArrayList<>();
    command.add(javaCommand());
    command.addAll(settings.workerJvmOpts);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(WorkerMain.class.getName());
    Map<String, String> args = new LinkedHashMap<>(settings.visible());
    args.remove("api-key");
    args.put("socket", socketDir.socket.toString());
    args.put("index", Integer.toString(index));
    args.put("workers", Integer.toString(slots.length));
    args.put("api", apiClassName());
    args.put("jar", settings.jar == null ? "" : settings.jar);
    args.put("device", slot.device);
    args.forEach((k, v) -> command.add(k + "=" + v));
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    builder.environment().put(MetricsRegistry.ENV, metricsDir.path.toString());
    if (slot.device.startsWith("cuda:")) {
      builder.environment().put("CUDA_VISIBLE_DEVICES", slot.device.substring(5));
    }
    slot.spawnedNanos = clock.nanoTime();
    try {
      slot.process = builder.start();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot start worker " + index + ": " + e.getMessage());
    }
    slot.process.onExit().thenAccept(p -> exited(index, p.pid(), p.exitValue()));
  }

  private static String javaCommand() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
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
    spec.scraper = new DirectoryScraper(metricsDir.path);
    spec.blockingPool = blockingPool;
    spec.clock = clock;
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

  // --- WorkerLink.Listener, called on link reader threads ---

  @Override
  public void ready(WorkerLink link, long setupNanos) {
    Slot slot = slots[link.index()];
    int ready;
    synchronized (this) {
      slot.ready = true;
      slot.healthy = true;
      ready = ++readyCount;
    }
    out.printf(
        Locale.ROOT,
        "forkserve: worker %d/%d ready in %.1f s (setup %.2f s, pid %d)%n",
        ready,
        slots.length,
        seconds(clock.nanoTime() - slot.spawnedNanos),
        seconds(setupNanos),
        link.pid());
    if (metrics != null) {
      metrics.workersUp(ready);
    }
    if (ready == slots.length) {
      startup.countDown();
    }
  }

  @Override
  public void failed(WorkerLink link, String message) {
    fail("worker " + link.index() + " setup failed: " + message);
  }

  @Override
  public void health(WorkerLink link, boolean healthy) {
    slots[link.index()].healthy = healthy;
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
    workerDown(link.index());
  }

  private void exited(int index, long pid, int code) {
    if (metricsDir != null) {
      metricsDir.processGone(pid);
    }
    if (!stopping && !started) {
      fail("worker " + index + " exited with code " + code + " during start-up");
    }
    workerDown(index);
  }

  private void workerDown(int index) {
    Slot slot = slots[index];
    int ready;
    synchronized (this) {
      if (!slot.ready) {
        return;
      }
      slot.ready = false;
      ready = --readyCount;
    }
    if (!stopping) {
      System.err.println(
          "forkserve: worker "
              + index
              + " went away; "
              + ready
              + "/"
              + slots.length
              + " workers ready");
    }
    if (metrics != null) {
      metrics.workersUp(ready);
    }
  }

  private void fail(String message) {
    if (fatal == null) {
      fatal = message;
    }
    startup.countDown();
  }

  // --- ServerView ---

  @Override
  public boolean isHealthy() {
    for (Slot slot : slots) {
      if (!slot.ready || !slot.healthy) {
        return false;
      }
    }
    return true;
  }

  @Override
  public synchronized int readyWorkers() {
    return readyCount;
  }

  @Override
  public int workers() {
    return slots.length;
  }

  @Override
  public Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("api", api.getClass().getName());
    info.put("metadata", api.metadata());
    info.put("api_path", settings.apiPath);
    info.put("streaming", api.isStreaming());
    info.put("healthy", isHealthy());
    info.put("queue_depth", dispatcher.queueDepth());
    info.put("in_workers", dispatcher.inWorkers());
    List<Map<String, Object>> workers = new ArrayList<>();
    for (int i = 0; i < slots.length; i++) {
      Slot slot = slots[i];
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("index", i);
      w.put("pid", slot.process == null ? null : slot.process.pid());
      w.put("device", slot.device);
      w.put("ready", slot.ready);
      w.put("healthy", slot.healthy);
      workers.add(w);
    }
    info.put("workers", workers);
    info.put("settings", settings.visible());
    info.put("metrics_dir", metricsDir.path.toString());
    return info;
  }

  /** Stops the front and every worker and removes temporary files. Idempotent. */
  public void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    if (started) {
      for (Callback c : callbacks) {
        c.onServerStop();
      }
    }
    if (server != null) {
      server.stop();
    }
    for (Slot slot : slots) {
      if (slot.process != null) {
        slot.process.destroy();
      }
    }
    for (Slot slot : slots) {
      awaitOrKill(slot.process);
    }
    closeQuietly();
    if (registry != null) {
      registry.close();
    }
    if (metricsDir != null) {
      metricsDir.close();
    }
  }

  private static void awaitOrKill(Process process) {
    if (process == null) {
      return;
    }
    try {
      if (!process.waitFor(2, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
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

  /** One worker's process and link; fields written by the supervisor's threads. */
  private static final class Slot {
    final String device;
    volatile Process process;
    volatile WorkerLink link;
    volatile boolean ready;
    volatile boolean healthy;
    volatile long spawnedNanos;

    Slot(String device) {
      this.device = device;
    }
  }
}
